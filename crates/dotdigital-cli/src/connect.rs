//! Where the CLI's client comes from: the environment, a prompt, or (with
//! `--sandbox`) an embedded sandbox. Credentials are never an argument.

use std::io::IsTerminal;
use std::time::Duration;

use dotdigital_contacts::ContactsClient;
use dotdigital_sandbox::Sandbox;

use crate::failure::{Exit, Failure};

/// The client a command uses, and the embedded sandbox it talks to, if any
/// (kept alive as long as the client).
pub struct Connection {
    pub client: ContactsClient,
    _sandbox: Option<Sandbox>,
}

/// When to run against an embedded sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SandboxMode {
    /// Always.
    Always,
    /// Only when no credentials are set in the environment.
    Auto,
}

/// How long one attempt waits for an answer unless a command says otherwise
/// (the wrapper's default).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Connects from the environment, or starts an embedded sandbox on a free
/// loopback port; each attempt of a call waits at most `timeout`.
pub async fn connect(mode: Option<SandboxMode>, timeout: Duration) -> Result<Connection, Failure> {
    let use_sandbox = match mode {
        Some(SandboxMode::Always) => true,
        Some(SandboxMode::Auto) => {
            std::env::var_os("DOTDIGITAL_API_USER").is_none_or(|v| v.is_empty())
        }
        None => false,
    };
    if !use_sandbox {
        let client = from_environment(timeout)?;
        if mode == Some(SandboxMode::Auto) {
            eprintln!("credentials found: using {}", client.base_url());
        }
        return Ok(Connection {
            client,
            _sandbox: None,
        });
    }
    let sandbox = Sandbox::start_default().await.map_err(|e| {
        Failure::new(
            Exit::Configuration,
            format!("cannot start the embedded sandbox: {e}"),
        )
    })?;
    eprintln!("using an embedded sandbox at {}", sandbox.base_url());
    let client = ContactsClient::builder()
        .base_url(sandbox.base_url())
        .credentials(sandbox.api_user(), sandbox.api_password())
        .timeout(timeout)
        .build()?;
    Ok(Connection {
        client,
        _sandbox: Some(sandbox),
    })
}

/// A client from `DOTDIGITAL_*` variables, prompting on a terminal for what is missing.
pub fn from_environment(timeout: Duration) -> Result<ContactsClient, Failure> {
    let user = std::env::var("DOTDIGITAL_API_USER")
        .ok()
        .filter(|v| !v.is_empty());
    let password = std::env::var("DOTDIGITAL_API_PASSWORD")
        .ok()
        .filter(|v| !v.is_empty());
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let (user, password) = match (user, password) {
        (Some(user), Some(password)) => (Some(user), Some(password)),
        (user, None) if interactive => {
            let user = match user {
                Some(user) => user,
                None => prompt("API user (DOTDIGITAL_API_USER): ")?,
            };
            let password =
                rpassword::prompt_password(format!("Password for {user}: ")).map_err(|e| {
                    Failure::new(
                        Exit::Configuration,
                        format!("cannot read the password: {e}"),
                    )
                })?;
            (Some(user), Some(password))
        }
        other => other,
    };
    let lookup = |name: &str| match name {
        "DOTDIGITAL_API_USER" => user.clone(),
        "DOTDIGITAL_API_PASSWORD" => password.clone(),
        other => std::env::var(other).ok(),
    };
    let configuration = |e| {
        Failure::new(
            Exit::Configuration,
            format!(
                "{e} (set DOTDIGITAL_API_USER and DOTDIGITAL_API_PASSWORD, or run against a local sandbox with --sandbox)"
            ),
        )
    };
    // The wrapper checks and names every variable; its environment
    // constructor has no timeout, so the checked settings are built again
    // with one.
    let checked = ContactsClient::from_env_with(lookup).map_err(configuration)?;
    let mut builder = ContactsClient::builder()
        .base_url(checked.base_url())
        .credentials(
            user.clone().unwrap_or_default(),
            password.clone().unwrap_or_default(),
        )
        .timeout(timeout);
    if let Some(token) = lookup("DOTDIGITAL_INTEGRATION_TOKEN").filter(|v| !v.is_empty()) {
        builder = builder.integration_token(token);
    }
    builder.build().map_err(configuration)
}

fn prompt(question: &str) -> Result<String, Failure> {
    eprint!("{question}");
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| Failure::new(Exit::Configuration, format!("cannot read the answer: {e}")))?;
    Ok(line.trim().to_owned())
}

/// A client for `--dry-run`: it only checks rows and never sends, so it needs
/// no credentials and no sandbox.
pub fn offline() -> Result<Connection, Failure> {
    let client = ContactsClient::builder()
        .base_url("http://127.0.0.1:9")
        .credentials("dry-run", "dry-run")
        .build()?;
    Ok(Connection {
        client,
        _sandbox: None,
    })
}
