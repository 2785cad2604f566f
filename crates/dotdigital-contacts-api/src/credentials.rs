//! What the client authenticates with.

use base64::Engine as _;
use reqwest::header::HeaderValue;

/// An API user's Basic credentials and the optional integration token of a
/// verified partner integration, with the one setting that travels with them
/// to every request: how much of an answer the client reads
/// ([`with_answer_limit`](Self::with_answer_limit)).
///
/// `Debug` never prints the password or the token.
///
/// ```
/// let credentials = dotdigital_contacts_api::Credentials::new("apiuser-1@apiconnector.com", "s3cret!")
///     .with_integration_token("5a96bc79-19a7-4544-973b-e2da0c9136f9");
/// let shown = format!("{credentials:?}");
/// assert!(!shown.contains("s3cret!") && !shown.contains("5a96bc79"));
/// ```
#[derive(Clone)]
pub struct Credentials {
    pub(crate) api_user: String,
    /// The `Authorization` header, encoded once rather than on every request.
    pub(crate) authorization: HeaderValue,
    pub(crate) integration_token: Option<String>,
    pub(crate) answer_limit: usize,
}

/// The most bytes of an answer the client reads unless told otherwise: a
/// contact answer is a few KB, so 256 KiB leaves room for hundreds of data
/// fields while a server that sends gigabytes costs a sync of 16 rows in
/// flight at most 4 MiB.
pub const DEFAULT_ANSWER_LIMIT: usize = 256 * 1024;

impl Credentials {
    /// Basic credentials of an API user (its email address and password).
    pub fn new(api_user: impl Into<String>, api_password: impl Into<String>) -> Self {
        let api_user = api_user.into();
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{api_user}:{}", api_password.into()));
        // Base64's alphabet is printable ASCII, so every user and password
        // forms a header; the fallback only satisfies the type.
        let mut authorization = HeaderValue::from_str(&format!("Basic {basic}"))
            .unwrap_or_else(|_| HeaderValue::from_static("Basic"));
        authorization.set_sensitive(true);
        Self {
            api_user,
            authorization,
            integration_token: None,
            answer_limit: DEFAULT_ANSWER_LIMIT,
        }
    }

    /// Reads at most `bytes` of an answer's body; a longer one fails the call
    /// (the request was applied all the same). Default [`DEFAULT_ANSWER_LIMIT`].
    pub fn with_answer_limit(mut self, bytes: usize) -> Self {
        self.answer_limit = bytes;
        self
    }

    /// Sends `x-ddg-integration-token` on every request that does not set it itself.
    pub fn with_integration_token(mut self, token: impl Into<String>) -> Self {
        self.integration_token = Some(token.into());
        self
    }

    /// The API user name (not a secret).
    pub fn api_user(&self) -> &str {
        &self.api_user
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("api_user", &self.api_user)
            .field("api_password", &"[redacted]")
            .field(
                "integration_token",
                &self.integration_token.as_ref().map(|_| "[redacted]"),
            )
            .field("answer_limit", &self.answer_limit)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_password_forms_a_sensitive_basic_header() {
        let credentials = Credentials::new("usér@example.com", "pa\u{0}ss\nwörd\u{7f}");
        let value = credentials.authorization.to_str().unwrap_or_default();
        let encoded = value.strip_prefix("Basic ").unwrap_or_default();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap_or_default();
        assert_eq!(decoded, "usér@example.com:pa\u{0}ss\nwörd\u{7f}".as_bytes());
        assert!(credentials.authorization.is_sensitive());
    }
}
