//! `dotdigital sandbox`: the local emulator, as the standalone
//! `dotdigital-sandbox` binary runs it.

use std::net::SocketAddr;
use std::process::ExitCode;

use dotdigital_sandbox::{DEFAULT_API_PASSWORD, DEFAULT_API_USER, Sandbox};

#[derive(Debug, clap::Args)]
pub struct SandboxArgs {
    /// Address to listen on; port 0 picks a free one. Off loopback, the admin
    /// routes (/_sandbox/…) ask for the API credentials too.
    #[arg(long, default_value = dotdigital_sandbox::DEFAULT_LISTEN, conflicts_with = "port")]
    listen: SocketAddr,
    /// Shorthand for --listen 127.0.0.1:PORT.
    #[arg(long)]
    port: Option<u16>,
    /// Basic-auth user name.
    #[arg(long, default_value = DEFAULT_API_USER)]
    api_user: String,
    /// Basic-auth password (from the environment, it stays out of the process list).
    #[arg(long, env = dotdigital_sandbox::API_PASSWORD_VAR, hide_env_values = true, default_value = DEFAULT_API_PASSWORD)]
    api_password: String,
    /// Calls per minute before 429 (0: no limit).
    #[arg(long, default_value_t = 0)]
    rate_limit: u32,
    /// Probability (0..1) of answering 500/503.
    #[arg(long, default_value_t = 0.0)]
    fail_rate: f64,
    /// Probability (0..1) of closing a connection without an answer.
    #[arg(long, default_value_t = 0.0)]
    drop_rate: f64,
    /// Seed of the fault generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// A custom identifier of the account (repeatable).
    #[arg(long = "custom-identifier", value_name = "NAME")]
    custom_identifiers: Vec<String>,
}

pub async fn run(args: SandboxArgs) -> Result<ExitCode, String> {
    let listen = args
        .port
        .map_or(args.listen, |port| SocketAddr::from(([127, 0, 0, 1], port)));
    let mut builder = Sandbox::builder()
        .listen(listen)
        .api_user(args.api_user)
        .api_password(args.api_password)
        .rate_limit(args.rate_limit)
        .fail_rate(args.fail_rate)
        .drop_rate(args.drop_rate)
        .seed(args.seed);
    for name in args.custom_identifiers {
        builder = builder.custom_identifier(name);
    }
    let sandbox = builder.start().await.map_err(|e| e.to_string())?;
    println!("listening on {}", sandbox.base_url());
    eprintln!(
        "api user {}; admin routes under {}/_sandbox/; Ctrl-C or SIGTERM stops",
        sandbox.api_user(),
        sandbox.base_url()
    );
    dotdigital_sandbox::shutdown_signal().await;
    sandbox.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
