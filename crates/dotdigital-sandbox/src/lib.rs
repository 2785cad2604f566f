//! A local emulator of Dotdigital's two contact-write endpoints, the way
//! stripe-mock serves Stripe users: v3 "Import a single contact"
//! (`PATCH /contacts/v3/{identifier}/{value}`) and v2 "Update contact"
//! (`PUT /v2/contacts/{id}`), plus `GET`/`DELETE /contacts/v3/{identifier}/{value}`
//! and `GET /v2/contacts/{id}` to observe and prepare state. v2 and v3 see
//! the same contacts (v2 `id` = v3 `contactId`).
//!
//! It is an independent implementation: it shares the project's spec but
//! none of the client's code, so it catches client bugs. Behaviour follows
//! the "Sandbox" section of the README.
//!
//! **It follows the spec it is built from** (the project's, or the text given
//! to [`SandboxBuilder::spec`]), parsed once at start: the request, parameter
//! and answer schemas, the built-in identifiers, the merge options and the
//! values answers can report all come from it. A contact is kept as what
//! requests sent; hand-written rules apply only where Dotdigital documents
//! behaviour: identifier lookup and the recycle bin, `null` clearing a data
//! field, list membership, channel subscription rules (`verifiedDouble`, a
//! challenged resubscribe), consent records appended with a
//! `dateTimeCreated`, v2's full replace and its type resets, and the account
//! checks (data fields, lists, custom identifiers). Any other property, at
//! any depth, is stored as sent and answered wherever the answer schema has a
//! place for it, so a new optional property round-trips with no sandbox
//! edit. A value the spec allows but the sandbox has no behaviour for (a new
//! merge option), or a value its answer could not report, is refused with
//! 400 `sandbox:notEmulated` naming it, and changes nothing: every answer
//! matches the answer schema of the spec the sandbox was built from.
//!
//! **It emulates Dotdigital, not our client.** Where the project's spec (the
//! client's contract) is stricter on a request than Dotdigital's published
//! description, the sandbox accepts what the real service accepts: a v2
//! `null` `optInType`, `emailType` or `dataFields` is "not given", as
//! Dotdigital declares them nullable. Its answers follow Dotdigital's
//! description (`sms.countryCode` from the number; no empty `preferences`),
//! and CI checks them against it. `openapi/deviations.md` says for each
//! difference which side it binds.
//!
//! # Choices where Dotdigital is silent
//!
//! - **Identifiers.** The built-in identifiers are the properties of the
//!   import request's `identifiers`; their values follow the spec's schemas
//!   for them, the rule the client checks too. Today that is an email of 1 to
//!   64 characters, one `@`, a dotted domain, no ASCII space or control, at
//!   most 254 characters, matched case-insensitively; a mobile number of 7 to
//!   15 digits, the first not 0, after an optional `+`, stored without it.
//!   `contactId`: a positive integer (path only). Custom identifiers exist only
//!   when configured, and match exactly. Identifiers are unique across active
//!   and binned contacts. `sms.countryCode` is the ISO country libphonenumber
//!   places the mobile number in, else its calling code's main country, else
//!   `ZZ` (libphonenumber's unknown region).
//! - **Create.** A new contact takes only the identifiers in the body (which
//!   must include `email` or `mobileNumber`), never the path value. Its email
//!   channel is `subscribed`, its SMS and WhatsApp channels `noSubscription`.
//! - **Data fields.** Names match case-insensitively and are reported as
//!   configured. String takes a JSON string, Numeric a number, Boolean a bool,
//!   Date an ISO 8601 date (`2024-05-01`) or date-time. `""` counts as empty.
//!   Merge options apply to data fields only; identifiers, channels, lists,
//!   preferences and consent records always apply.
//! - **Channels.** Resubscribing an unsubscribed email with
//!   `resubscribeWithNoChallenge: false` gives `pendingOptIn`, as
//!   `verifiedDouble` does. Preferences take any id and replace an earlier
//!   choice for the same id.
//! - **Observing.** `GET` shows a binned contact with status `binned`;
//!   `DELETE` answers 204 and bins the contact. Both answer 404
//!   `contacts:contactNotFound` when nothing matches.
//! - **v2.** Data fields not sent are cleared; `status` in the body is
//!   ignored; an email held by another contact is 400 `ERROR_CONTACT_INVALID`;
//!   a body `id` other than 0 must equal the path id; a binned contact's id
//!   restores it. `GET /v2/contacts/{id}` shows active contacts with an email.
//! - **Rate limit.** Off unless set; then every API answer carries the
//!   `X-RateLimit-*` headers. A window opens with the first call and lasts 60 s;
//!   unauthenticated calls are not counted.
//! - **Errors.** Schema violations are 400 `server:badRequest`, malformed JSON
//!   400 `contacts:badJson` whose detail item is `line L, position P`; v2
//!   answers a value it cannot emulate with the token `SANDBOX_NOT_EMULATED`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use dotdigital_sandbox::Sandbox;
//!
//! let sandbox = Sandbox::builder()
//!     .rate_limit(600)
//!     .custom_identifier("crmId")
//!     .start()
//!     .await?;
//! assert!(sandbox.base_url().starts_with("http://127.0.0.1:"));
//! assert_eq!(sandbox.api_user(), "demo@apiconnector.com");
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! The server has no TLS. Its admin routes (`/_sandbox/…`) need no
//! credentials on loopback; on any other address they ask for the sandbox's
//! API credentials (HTTP Basic), like the API routes.
#![warn(missing_docs)]

mod admin;
mod app;
#[cfg(feature = "cli")]
pub mod command_line;
mod config;
mod contact;
mod error;
mod faults;
mod gate;
mod identifier;
mod import;
mod model;
mod rate_limit;
mod routes;
mod schema;
mod server;
mod stats;
mod store;
mod v2;
mod validate;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use config::{DEFAULT_API_PASSWORD, DEFAULT_API_USER, DataFieldType};

use crate::app::App;
use crate::config::{Config, DataField, MailingList};
use crate::model::Model;

/// The environment variable the sandbox commands read the API password from
/// when `--api-password` is not given, so it stays out of the process list.
pub const API_PASSWORD_VAR: &str = "DOTDIGITAL_SANDBOX_API_PASSWORD";

/// Default listen address of the binary.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8025";

/// Why the sandbox could not start, or why it refused a contact.
#[derive(Debug)]
#[non_exhaustive]
pub enum SandboxError {
    /// The listen address could not be bound.
    Bind(std::io::Error),
    /// The configuration is not usable; the message names the setting.
    Config(String),
    /// The spec cannot drive the sandbox; the message says what is missing.
    Spec(String),
    /// [`Sandbox::import_contact`] was refused, as the API would refuse it.
    Rejected {
        /// The HTTP status the API answers.
        status: u16,
        /// The v3 error body.
        body: Value,
    },
}

impl std::fmt::Display for SandboxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Bind(e) => write!(f, "cannot listen: {e}"),
            Self::Config(e) => write!(f, "invalid sandbox configuration: {e}"),
            Self::Spec(e) => write!(f, "the spec cannot drive the sandbox: {e}"),
            Self::Rejected { status, body } => write!(f, "contact refused with {status}: {body}"),
        }
    }
}

impl std::error::Error for SandboxError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Bind(e) => Some(e),
            _ => None,
        }
    }
}

/// Configures a [`Sandbox`]. Every setting has a default: `127.0.0.1:0`,
/// user `demo@apiconnector.com` / `demo-password`, data fields FIRSTNAME,
/// LASTNAME, FULLNAME, GENDER and POSTCODE (String), list 12345, no custom
/// identifiers, no rate limit, no faults.
#[derive(Debug)]
pub struct SandboxBuilder {
    listen: SocketAddr,
    config: Config,
    spec: Option<String>,
}

impl SandboxBuilder {
    /// The spec text (OpenAPI YAML or JSON) the sandbox follows, instead of
    /// the project's spec compiled into `dotdigital-spec`: how a test tries a
    /// spec change. The sandbox reads from it, once at start, its operations,
    /// identifier names, enum values, limits and answer schemas.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use dotdigital_sandbox::{Sandbox, SandboxError};
    ///
    /// let sandbox = Sandbox::builder().spec(dotdigital_spec::SPEC_YAML).start().await?;
    /// sandbox.shutdown().await;
    /// let refused = Sandbox::builder().spec("openapi: 3.0.3\npaths: {}").start().await;
    /// assert!(matches!(refused, Err(SandboxError::Spec(why)) if why.contains("importContact")));
    /// # Ok(()) }
    /// ```
    pub fn spec(mut self, text: impl Into<String>) -> Self {
        self.spec = Some(text.into());
        self
    }

    /// Where to listen; port 0 picks a free port.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// The Basic-auth user name.
    pub fn api_user(mut self, user: impl Into<String>) -> Self {
        self.config.api_user = user.into();
        self
    }

    /// The Basic-auth password.
    pub fn api_password(mut self, password: impl Into<String>) -> Self {
        self.config.api_password = password.into();
        self
    }

    /// Calls per window (a minute, unless [`rate_limit_window`](Self::rate_limit_window)
    /// says otherwise) before 429; 0 turns the limit off.
    pub fn rate_limit(mut self, calls_per_minute: u32) -> Self {
        self.config.rate_limit = (calls_per_minute > 0).then_some(calls_per_minute);
        self
    }

    /// The rate-limit window (default a minute, as Dotdigital's); whole
    /// seconds, 1 s to an hour.
    pub fn rate_limit_window(mut self, window: Duration) -> Self {
        self.config.rate_window_secs = window.as_secs();
        self
    }

    /// Probability (0..=1) of answering an API call with 500 or 503.
    pub fn fail_rate(mut self, probability: f64) -> Self {
        self.config.faults.error_rate = probability;
        self
    }

    /// Probability (0..=1) of closing the connection instead of answering.
    pub fn drop_rate(mut self, probability: f64) -> Self {
        self.config.faults.drop_rate = probability;
        self
    }

    /// Latency added before every API answer.
    pub fn latency(mut self, latency: Duration) -> Self {
        self.config.faults.latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        self
    }

    /// Seed of the fault generator.
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.faults.seed = seed;
        self
    }

    /// Adds a custom identifier of the account (e.g. `crmId`).
    pub fn custom_identifier(mut self, name: impl Into<String>) -> Self {
        self.config.custom_identifiers.push(name.into());
        self
    }

    /// Adds (or retypes) a data field of the account.
    pub fn data_field(mut self, name: impl Into<String>, kind: DataFieldType) -> Self {
        let name: std::sync::Arc<str> = name.into().into();
        self.config
            .data_fields
            .retain(|field| !field.name.eq_ignore_ascii_case(&name));
        self.config.data_fields.push(DataField { name, kind });
        self
    }

    /// Adds a list contacts can be added to.
    pub fn list(mut self, id: i32, name: impl Into<String>) -> Self {
        self.config.lists.retain(|list| list.id != id);
        self.config.lists.push(MailingList {
            id,
            name: name.into(),
        });
        self
    }

    /// Binds and starts serving on the current Tokio runtime.
    pub async fn start(self) -> Result<Sandbox, SandboxError> {
        // Anyone who can reach a sandbox off loopback could reset or
        // reconfigure it: there the admin routes need the API credentials.
        let guarded = !self.listen.ip().is_loopback();
        let text = self.spec.as_deref().unwrap_or(dotdigital_spec::SPEC_YAML);
        let model = Model::new(text).map_err(SandboxError::Spec)?;
        let app = Arc::new(App::new(self.config, model, guarded).map_err(SandboxError::Config)?);
        let listener = TcpListener::bind(self.listen)
            .await
            .map_err(SandboxError::Bind)?;
        let addr = listener.local_addr().map_err(SandboxError::Bind)?;
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(server::serve(
            listener,
            server::router(app.clone()),
            stopped,
        ));
        Ok(Sandbox {
            addr,
            base_url: format!("http://{addr}"),
            app,
            stop,
            task: Some(task),
        })
    }
}

/// A running sandbox. Dropping it stops the server too; [`Sandbox::shutdown`]
/// also waits for requests in flight.
pub struct Sandbox {
    addr: SocketAddr,
    base_url: String,
    app: Arc<App>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("base_url", &self.base_url)
            .field("api_user", &self.app.config().api_user)
            .field("api_password", &"<redacted>")
            .finish()
    }
}

impl Sandbox {
    /// A builder with the defaults.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            config: Config::default(),
            spec: None,
        }
    }

    /// Starts a sandbox with every default, on a free loopback port.
    pub async fn start_default() -> Result<Sandbox, SandboxError> {
        Self::builder().start().await
    }

    /// `http://HOST:PORT`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The Basic-auth user name.
    pub fn api_user(&self) -> String {
        self.app.config().api_user.clone()
    }

    /// The Basic-auth password.
    pub fn api_password(&self) -> String {
        self.app.config().api_password.clone()
    }

    /// Stores a contact without HTTP, as `POST /_sandbox/contacts` does: `body`
    /// is a v3 import body carrying `identifiers.email` or
    /// `identifiers.mobileNumber`. Returns the v3 `Contact`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let sandbox = dotdigital_sandbox::Sandbox::start_default().await?;
    /// let ann = sandbox.import_contact(serde_json::json!({
    ///     "identifiers": {"email": "ann@example.com"},
    ///     "dataFields": {"FIRSTNAME": "Ann"},
    /// }))?;
    /// assert_eq!(ann["contactId"], 1);
    /// assert_eq!(ann["dataFields"]["FIRSTNAME"], "Ann");
    /// assert!(sandbox.import_contact(serde_json::json!({"dataFields": {"NOPE": 1}})).is_err());
    /// assert_eq!(sandbox.contact_count(), 1);
    /// # Ok(()) }
    /// ```
    pub fn import_contact(&self, body: Value) -> Result<Value, SandboxError> {
        admin::seed(&self.app, body)
            .map(|imported| imported.contact)
            .map_err(|error| SandboxError::Rejected {
                status: error.status.as_u16(),
                body: error.body(),
            })
    }

    /// Number of contacts stored, recycle bin excluded.
    pub fn contact_count(&self) -> usize {
        self.app.store().counts().0
    }

    /// Forgets every contact, the statistics and the rate window.
    pub fn reset(&self) {
        self.app.reset();
    }

    /// Stops accepting connections and waits (up to 5 s) for requests in flight.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Waits for Ctrl-C or, on Unix, SIGTERM: how the `dotdigital-sandbox` and
/// `dotdigital sandbox` commands know to shut down.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = terminate => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
