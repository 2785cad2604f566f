//! The common reads of a v3 request body: generated types cannot get
//! inherent methods outside their crate, so they come as a trait.

use dotdigital_contacts_api::types;

use crate::{Error, validation};

/// Reads of an [`ImportContactRequest`](types::ImportContactRequest) body,
/// e.g. one read from JSON by [`json::import_request`](crate::json::import_request):
/// the identifiers it sets.
///
/// ```
/// use dotdigital_contacts::{ImportRequestExt, json};
/// let body = json::import_request(r#"{"identifiers": {"email": "ann@example.com", "crmId": "A-1"}}"#)?;
/// assert_eq!(body.email(), Some("ann@example.com"));
/// assert_eq!(body.mobile_number(), None);
/// assert_eq!(body.identifier("crmId"), Some("A-1"));
/// assert_eq!(body.identifier("email"), Some("ann@example.com"));
/// # Ok::<(), dotdigital_contacts::Error>(())
/// ```
pub trait ImportRequestExt {
    /// `identifiers.email`, when set.
    fn email(&self) -> Option<&str>;
    /// `identifiers.mobileNumber`, when set.
    fn mobile_number(&self) -> Option<&str>;
    /// The identifier `name`, built-in (`email`, `mobileNumber`) or custom, when set.
    fn identifier(&self, name: &str) -> Option<&str>;
    /// Sets the identifier `name` to `value`. An email or mobile number is
    /// checked now, once, by the spec's rule for it (the error names
    /// `identifiers.NAME` and the value); a custom one when the import is sent.
    ///
    /// ```
    /// use dotdigital_contacts::{ImportRequestExt, types};
    /// let mut body = types::ImportContactRequest::default();
    /// body.set_identifier("email", "ann@example.com")?;
    /// body.set_identifier("crmId", "A-1")?;
    /// assert_eq!(body.identifier("crmId"), Some("A-1"));
    /// let err = body.set_identifier("mobileNumber", "+44 7123").unwrap_err();
    /// assert!(err.to_string().starts_with("invalid identifiers.mobileNumber:"));
    /// # Ok::<(), dotdigital_contacts::Error>(())
    /// ```
    fn set_identifier(&mut self, name: &str, value: &str) -> Result<(), Error>;
}

impl ImportRequestExt for types::ImportContactRequest {
    fn email(&self) -> Option<&str> {
        self.identifiers
            .as_ref()?
            .email
            .as_deref()
            .map(String::as_str)
    }

    fn mobile_number(&self) -> Option<&str> {
        self.identifiers
            .as_ref()?
            .mobile_number
            .as_deref()
            .map(String::as_str)
    }

    fn set_identifier(&mut self, name: &str, value: &str) -> Result<(), Error> {
        let field = format!("identifiers.{name}");
        let identifiers = crate::import::identifiers(self)?;
        match name {
            "email" => identifiers.email = Some(validation::email(&field, value)?),
            "mobileNumber" => {
                identifiers.mobile_number = Some(validation::mobile_number(&field, value)?);
            }
            custom => {
                identifiers
                    .extra
                    .insert(custom.to_owned(), value.to_owned());
            }
        }
        Ok(())
    }

    fn identifier(&self, name: &str) -> Option<&str> {
        match name {
            "email" => self.email(),
            "mobileNumber" => self.mobile_number(),
            custom => self
                .identifiers
                .as_ref()?
                .extra
                .get(custom)
                .map(String::as_str),
        }
    }
}
