//! The sandbox's command line, defined once: the `dotdigital-sandbox` binary
//! and `dotdigital sandbox` both flatten [`SandboxArgs`], so their flags and
//! `--help` cannot drift apart.

use std::net::SocketAddr;
use std::time::Duration;

use crate::{API_PASSWORD_VAR, DEFAULT_API_PASSWORD, DEFAULT_API_USER, DEFAULT_LISTEN, Sandbox};

/// The one-line description of the command.
pub const ABOUT: &str =
    "Run the local sandbox: an emulator of both endpoints, until Ctrl-C or SIGTERM";

/// The rest of `--help`, below the options.
pub const AFTER_HELP: &str = "\
The first line on stdout is `listening on http://HOST:PORT`. Point a client at it
with DOTDIGITAL_BASE_URL and the API user and password. The admin routes under
/_sandbox/ (reset, config, stats, contacts) need no credentials on loopback; on
any other address they ask for the API credentials too.";

/// The sandbox's flags.
#[derive(Debug, Clone, clap::Args)]
pub struct SandboxArgs {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_LISTEN, conflicts_with = "port")]
    pub listen: SocketAddr,
    /// Shorthand for --listen 127.0.0.1:PORT.
    #[arg(long)]
    pub port: Option<u16>,
    /// Basic-auth user name.
    #[arg(long, value_name = "USER", default_value = DEFAULT_API_USER)]
    pub api_user: String,
    /// Basic-auth password (from the environment, it stays out of the process list).
    #[arg(long, value_name = "PASSWORD", env = API_PASSWORD_VAR, hide_env_values = true, default_value = DEFAULT_API_PASSWORD)]
    pub api_password: String,
    /// Calls per window before 429 (0: no limit).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub rate_limit: u32,
    /// Length of the rate-limit window in seconds (Dotdigital's is a minute).
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub rate_window: u64,
    /// Probability (0..1) of answering 500/503 without doing anything.
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = probability)]
    pub fail_rate: f64,
    /// Probability (0..1) of closing a connection without an answer.
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = probability)]
    pub drop_rate: f64,
    /// Latency added to every API answer, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub latency_ms: u64,
    /// Seed of the fault generator.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
    /// A custom identifier of the account (repeatable).
    #[arg(long = "custom-identifier", value_name = "NAME")]
    pub custom_identifiers: Vec<String>,
}

fn probability(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|p| (0.0..=1.0).contains(p))
        .ok_or_else(|| format!("must be a probability between 0 and 1, got '{text}'"))
}

impl SandboxArgs {
    /// Starts the sandbox these flags describe, prints where it listens, and
    /// serves until Ctrl-C or SIGTERM.
    pub async fn run(self) -> Result<(), crate::SandboxError> {
        let listen = self
            .port
            .map_or(self.listen, |port| SocketAddr::from(([127, 0, 0, 1], port)));
        let mut builder = Sandbox::builder()
            .listen(listen)
            .api_user(self.api_user)
            .api_password(self.api_password)
            .rate_limit(self.rate_limit)
            .rate_limit_window(Duration::from_secs(self.rate_window))
            .fail_rate(self.fail_rate)
            .drop_rate(self.drop_rate)
            .latency(Duration::from_millis(self.latency_ms))
            .seed(self.seed);
        for name in self.custom_identifiers {
            builder = builder.custom_identifier(name);
        }
        let sandbox = builder.start().await?;
        println!("listening on {}", sandbox.base_url());
        eprintln!(
            "api user {} (password from --api-password or {API_PASSWORD_VAR}); admin routes under {}/_sandbox/; Ctrl-C or SIGTERM stops",
            sandbox.api_user(),
            sandbox.base_url()
        );
        crate::shutdown_signal().await;
        sandbox.shutdown().await;
        Ok(())
    }
}
