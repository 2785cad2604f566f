//! Building a client: where to connect, as whom, and how patiently.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use std::sync::Arc;

use crate::{Error, RetryPolicy, Retrying};
use dotdigital_contacts_api::ClientInfo as _;
use dotdigital_contacts_api::{Credentials, types};

/// A Dotdigital region; an account lives in exactly one, and calling another
/// answers 403.
///
/// ```
/// use dotdigital_contacts::Region;
/// let region: Region = "R2".parse()?;
/// assert_eq!(region, Region::R2);
/// assert_eq!(region.base_url(), "https://r2-api.dotdigital.com");
/// assert_eq!(Region::default(), Region::R1);
/// assert!("eu".parse::<Region>().is_err());
/// # Ok::<(), dotdigital_contacts::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Region {
    /// Europe: `https://r1-api.dotdigital.com`.
    #[default]
    R1,
    /// North America: `https://r2-api.dotdigital.com`.
    R2,
    /// Asia Pacific: `https://r3-api.dotdigital.com`.
    R3,
}

impl Region {
    /// The region's API host.
    pub fn base_url(self) -> &'static str {
        match self {
            Region::R1 => "https://r1-api.dotdigital.com",
            Region::R2 => "https://r2-api.dotdigital.com",
            Region::R3 => "https://r3-api.dotdigital.com",
        }
    }
}

impl std::str::FromStr for Region {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "r1" => Ok(Region::R1),
            "r2" => Ok(Region::R2),
            "r3" => Ok(Region::R3),
            other => Err(Error::configuration(
                "region",
                format!("{other:?} is not r1, r2 or r3"),
            )),
        }
    }
}

/// A client for the two contact-write operations. Cheap to clone; clones
/// share one connection pool.
///
/// # Retries and the rate limit, by default
///
/// - **A 429** (the API user's calls per minute are spent) is retried after
///   the wait the answer asks for (`Retry-After`, else `X-RateLimit-Reset`),
///   if that wait is at most 60 s; a longer one fails the call at once with
///   [`Error::RateLimited`], which carries the headers ([`RateLimit`](crate::RateLimit)).
/// - **500, 502, 503, 504 and transport errors** are retried after 250 ms,
///   doubling to at most 8 s, with jitter, as far as repeating the request is
///   safe ([`RetryPolicy`] has the table).
/// - **At most 3 retries**, so 4 attempts. Each attempt may take 30 s
///   ([`timeout`](ContactsClientBuilder::timeout)), connecting included
///   (10 s, [`connect_timeout`](ContactsClientBuilder::connect_timeout)):
///   in the worst case a call returns after 4 × 30 s of attempts plus
///   3 × 60 s of waiting, 5 minutes ([`RetryPolicy::worst_case_wait`]).
/// - **To change it**, give the builder another [`RetryPolicy`]
///   ([`RetryPolicy::none`] returns every failure at once), or
///   [`with_retry_policy`](Self::with_retry_policy) on a built client; count or
///   log retries with [`on_retry`](ContactsClientBuilder::on_retry).
///
/// ```
/// use dotdigital_contacts::{ContactsClient, Region};
/// let client = ContactsClient::builder()
///     .region(Region::R2)
///     .credentials("apiuser-1@apiconnector.com", "s3cret-pass")
///     .build()
///     .unwrap();
/// assert_eq!(client.base_url(), "https://r2-api.dotdigital.com");
/// assert!(!format!("{client:?}").contains("s3cret-pass"));
/// ```
///
/// Handling a 429 yourself: with retries off, the rate limit comes back as an
/// error that says how long to wait.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use dotdigital_contacts::{ContactsClient, Error, Identifier, RetryPolicy};
/// // A sandbox that allows one call per second.
/// let sandbox = dotdigital_sandbox::Sandbox::builder()
///     .rate_limit(1)
///     .rate_limit_window(Duration::from_secs(1))
///     .start()
///     .await?;
/// let client = ContactsClient::builder()
///     .base_url(sandbox.base_url())
///     .credentials(sandbox.api_user(), sandbox.api_password())
///     .retry_policy(RetryPolicy::none())
///     .build()?;
/// assert_eq!(client.retry_policy(), &RetryPolicy::none());
/// client.import_contact(Identifier::email("ann@example.com")).send().await?;
/// match client.import_contact(Identifier::email("bob@example.com")).send().await {
///     Err(Error::RateLimited { rate_limit, .. }) => {
///         assert_eq!(rate_limit.remaining, Some(0));
///         let wait = rate_limit.wait().unwrap_or(Duration::from_secs(60));
///         assert!(wait <= Duration::from_secs(1));
///         tokio::time::sleep(wait).await;
///     }
///     other => panic!("expected a 429, got {other:?}"),
/// }
/// // The same client with the default policy waits out the 429 itself,
/// // telling the callback of each retry.
/// let patient = client
///     .with_retry_policy(RetryPolicy::default())
///     .with_on_retry(|retrying| eprintln!("{} retry {} in {:?}", retrying.operation, retrying.retry, retrying.delay));
/// patient.import_contact(Identifier::email("bob@example.com")).send().await?;
/// let imported = patient.import_contact(Identifier::email("cy@example.com")).send().await?;
/// assert_eq!(imported.attempts, 2, "one 429, then the retry after the reset");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ContactsClient {
    pub(crate) api: dotdigital_contacts_api::Client,
    pub(crate) retry: RetryPolicy,
    pub(crate) on_retry: Option<OnRetry>,
}

/// A callback told of every retry.
#[derive(Clone)]
pub(crate) struct OnRetry(Arc<dyn Fn(&Retrying<'_>) + Send + Sync>);

impl std::ops::Deref for OnRetry {
    type Target = dyn Fn(&Retrying<'_>) + Send + Sync;
    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl std::fmt::Debug for OnRetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OnRetry(..)")
    }
}

impl ContactsClient {
    /// Starts a builder.
    pub fn builder() -> ContactsClientBuilder {
        ContactsClientBuilder::default()
    }

    /// Builds a client from `DOTDIGITAL_API_USER`, `DOTDIGITAL_API_PASSWORD`,
    /// `DOTDIGITAL_REGION` (r1, r2, r3) or `DOTDIGITAL_BASE_URL`, and the
    /// optional `DOTDIGITAL_INTEGRATION_TOKEN`.
    ///
    /// ```no_run
    /// let client = dotdigital_contacts::ContactsClient::from_env()?;
    /// println!("importing into {}", client.base_url());
    /// # Ok::<(), dotdigital_contacts::Error>(())
    /// ```
    pub fn from_env() -> Result<Self, Error> {
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) reading variables through `lookup`.
    ///
    /// ```
    /// use dotdigital_contacts::ContactsClient;
    /// let err = ContactsClient::from_env_with(|name| (name == "DOTDIGITAL_API_USER").then(|| "u@apiconnector.com".to_owned()))
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("DOTDIGITAL_API_PASSWORD"));
    /// ```
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let required = |name: &str| {
            lookup(name)
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| Error::configuration(name, "is not set"))
        };
        let mut builder = ContactsClient::builder().credentials(
            required("DOTDIGITAL_API_USER")?,
            required("DOTDIGITAL_API_PASSWORD")?,
        );
        match (
            lookup("DOTDIGITAL_BASE_URL").filter(|v| !v.is_empty()),
            lookup("DOTDIGITAL_REGION").filter(|v| !v.is_empty()),
        ) {
            (Some(_), Some(_)) => {
                return Err(Error::configuration(
                    "DOTDIGITAL_BASE_URL",
                    "set either DOTDIGITAL_BASE_URL or DOTDIGITAL_REGION, not both",
                ));
            }
            (Some(url), None) => builder = builder.base_url(url),
            (None, Some(region)) => {
                let region = region.parse().map_err(|_| {
                    Error::configuration(
                        "DOTDIGITAL_REGION",
                        format!("{region:?} is not r1, r2 or r3"),
                    )
                })?;
                builder = builder.region(region);
            }
            (None, None) => {}
        }
        if let Some(token) = lookup("DOTDIGITAL_INTEGRATION_TOKEN").filter(|v| !v.is_empty()) {
            builder = builder.integration_token(token);
        }
        builder.build().map_err(|e| match e {
            Error::Configuration { setting, reason } if setting == "base_url" => {
                Error::configuration("DOTDIGITAL_BASE_URL", reason)
            }
            Error::Configuration { setting, reason } if setting == "integration_token" => {
                Error::configuration("DOTDIGITAL_INTEGRATION_TOKEN", reason)
            }
            other => other,
        })
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.api.baseurl()
    }

    /// This client with another retry policy; the connection pool is shared.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// This client, calling `callback` before every retry, as
    /// [`ContactsClientBuilder::on_retry`] does.
    pub fn with_on_retry(
        mut self,
        callback: impl Fn(&Retrying<'_>) + Send + Sync + 'static,
    ) -> Self {
        self.on_retry = Some(OnRetry(Arc::new(callback)));
        self
    }

    /// The retry policy in force.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }
}

/// Configures a [`ContactsClient`]. Only the credentials are required; the
/// region defaults to r1.
///
/// ```
/// use std::time::Duration;
/// use dotdigital_contacts::{ContactsClient, Region, RetryPolicy};
/// let client = ContactsClient::builder()
///     .region(Region::R1) // or .base_url("https://r1-api.dotdigital.com")
///     .credentials("apiuser-1@apiconnector.com", "s3cret-pass")
///     .integration_token("5a96bc79-19a7-4544-973b-e2da0c9136f9")
///     .connect_timeout(Duration::from_secs(5))
///     .timeout(Duration::from_secs(20))
///     .retry_policy(RetryPolicy::default().max_retries(5))
///     .user_agent("my-crm-sync/1.0")
///     .build()?;
/// assert_eq!(client.retry_policy().max_retries, 5);
///
/// let err = ContactsClient::builder().credentials("u@apiconnector.com", "p").integration_token("not-a-guid").build().unwrap_err();
/// assert!(err.to_string().starts_with("configuration: integration_token: must be a GUID"));
/// # Ok::<(), dotdigital_contacts::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct ContactsClientBuilder {
    base_url: Option<String>,
    api_user: Option<String>,
    api_password: Option<SecretString>,
    integration_token: Option<SecretString>,
    connect_timeout: Option<Duration>,
    timeout: Option<Duration>,
    max_answer_bytes: Option<usize>,
    retry: RetryPolicy,
    user_agent: Option<String>,
    on_retry: Option<OnRetry>,
}

impl ContactsClientBuilder {
    /// Connects to the region's API host.
    pub fn region(mut self, region: Region) -> Self {
        self.base_url = Some(region.base_url().to_owned());
        self
    }

    /// Connects to any base URL: a sandbox, a test server, or the legacy
    /// `https://api.dotmailer.com`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// The API user's email address and password.
    pub fn credentials(
        mut self,
        api_user: impl Into<String>,
        api_password: impl Into<String>,
    ) -> Self {
        self.api_user = Some(api_user.into());
        self.api_password = Some(SecretString::from(api_password.into()));
        self
    }

    /// A verified partner integration's tracking token (a GUID), sent as
    /// `x-ddg-integration-token` on every request.
    pub fn integration_token(mut self, token: impl Into<String>) -> Self {
        self.integration_token = Some(SecretString::from(token.into()));
        self
    }

    /// How long to wait for a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// How long one attempt may take in all (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The most bytes of an answer the client reads (default
    /// [`DEFAULT_ANSWER_LIMIT`](dotdigital_contacts_api::DEFAULT_ANSWER_LIMIT),
    /// 256 KiB; a contact answer is a few KB). A longer answer fails the call
    /// with [`Error::AnswerTooLarge`] and is never held in memory whole.
    ///
    /// ```
    /// let client = dotdigital_contacts::ContactsClient::builder()
    ///     .credentials("apiuser-1@apiconnector.com", "password")
    ///     .max_answer_bytes(64 * 1024)
    ///     .build()?;
    /// # Ok::<(), dotdigital_contacts::Error>(())
    /// ```
    pub fn max_answer_bytes(mut self, bytes: usize) -> Self {
        self.max_answer_bytes = Some(bytes);
        self
    }

    /// When to retry (default: [`RetryPolicy::default`]; [`RetryPolicy::none`] turns it off).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Calls `callback` before every retry, with the operation, the retry's
    /// number and delay and the error that caused it: for counting retries or
    /// logging them your way (the client also logs each at `tracing`'s info level).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// let retries = Arc::new(AtomicU64::new(0));
    /// let counter = retries.clone();
    /// let client = dotdigital_contacts::ContactsClient::builder()
    ///     .credentials("apiuser-1@apiconnector.com", "password")
    ///     .on_retry(move |retrying| {
    ///         counter.fetch_add(1, Ordering::Relaxed);
    ///         eprintln!("retry {} of {} in {:?}: {}", retrying.retry, retrying.operation, retrying.delay, retrying.error);
    ///     })
    ///     .build()?;
    /// # Ok::<(), dotdigital_contacts::Error>(())
    /// ```
    pub fn on_retry(mut self, callback: impl Fn(&Retrying<'_>) + Send + Sync + 'static) -> Self {
        self.on_retry = Some(OnRetry(Arc::new(callback)));
        self
    }

    /// The `User-Agent` header (default `dotdigital-contacts-rust/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<ContactsClient, Error> {
        let api_user = self.api_user.ok_or_else(|| {
            Error::configuration("credentials", "an API user and password are required")
        })?;
        let api_password = self
            .api_password
            .ok_or_else(|| Error::configuration("credentials", "an API password is required"))?;
        if api_user.trim().is_empty() || api_password.expose_secret().is_empty() {
            return Err(Error::configuration(
                "credentials",
                "the API user and password must not be empty",
            ));
        }
        let base_url = self
            .base_url
            .unwrap_or_else(|| Region::R1.base_url().to_owned());
        let parsed = reqwest::Url::parse(&base_url).map_err(|e| {
            Error::configuration("base_url", format!("{base_url:?} is not a URL: {e}"))
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(Error::configuration(
                "base_url",
                format!("{base_url:?} must be an http(s) URL with a host"),
            ));
        }

        let mut credentials = Credentials::new(api_user, api_password.expose_secret());
        if let Some(bytes) = self.max_answer_bytes {
            credentials = credentials.with_answer_limit(bytes);
        }
        if let Some(token) = &self.integration_token {
            // The generated type carries the spec's GUID pattern.
            token
                .expose_secret()
                .parse::<types::ImportContactXDdgIntegrationToken>()
                .map_err(|_| {
                    Error::configuration(
                        "integration_token",
                        "must be a GUID such as 5a96bc79-19a7-4544-973b-e2da0c9136f9",
                    )
                })?;
            credentials = credentials.with_integration_token(token.expose_secret());
        }

        let user_agent = self.user_agent.unwrap_or_else(|| {
            concat!("dotdigital-contacts-rust/", env!("CARGO_PKG_VERSION")).to_owned()
        });
        let http = dotdigital_contacts_api::http_client_builder()
            .map_err(|e| Error::configuration("tls", e.to_string()))?
            .connect_timeout(self.connect_timeout.unwrap_or(Duration::from_secs(10)))
            .timeout(self.timeout.unwrap_or(Duration::from_secs(30)))
            .user_agent(user_agent)
            .build()
            .map_err(|e| Error::configuration("http client", e.to_string()))?;
        let base_url = base_url.trim_end_matches('/').to_owned();
        Ok(ContactsClient {
            api: dotdigital_contacts_api::Client::new_with_client(&base_url, http, credentials),
            retry: self.retry,
            on_retry: self.on_retry,
        })
    }
}
