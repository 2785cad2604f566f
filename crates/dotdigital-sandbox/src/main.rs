//! `dotdigital-sandbox`: runs the emulator until Ctrl-C or SIGTERM. The first
//! line on stdout is `listening on http://HOST:PORT`, for scripts.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use dotdigital_sandbox::{
    API_PASSWORD_VAR, DEFAULT_API_PASSWORD, DEFAULT_API_USER, DEFAULT_LISTEN, Sandbox,
    SandboxBuilder,
};

const HELP: &str = "\
dotdigital-sandbox: a local emulator of Dotdigital's contact-write endpoints

Usage: dotdigital-sandbox [OPTIONS]

Options:
  --listen ADDR              Address to listen on; port 0 picks a free one [default: 127.0.0.1:8025]
  --api-user USER            Basic-auth user name [default: demo@apiconnector.com]
  --api-password PASSWORD    Basic-auth password [env: DOTDIGITAL_SANDBOX_API_PASSWORD]
                             [default: demo-password]
  --rate-limit N             Calls per minute before 429; 0 is no limit [default: 0]
  --fail-rate P              Probability (0..1) of answering 500/503 [default: 0]
  --drop-rate P              Probability (0..1) of closing the connection unanswered [default: 0]
  --latency-ms MS            Latency added to every API answer [default: 0]
  --seed N                   Seed of the fault generator [default: 1]
  --custom-identifier NAME   A custom identifier of the account (repeatable)
  -h, --help                 Print this help

The admin routes under /_sandbox/ need no credentials on loopback; on any other
address they ask for the API credentials (HTTP Basic) too.";

#[tokio::main]
async fn main() -> ExitCode {
    let (listen, builder) = match parse(std::env::args().skip(1)) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => {
            println!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    let sandbox = match builder.listen(listen).start().await {
        Ok(sandbox) => sandbox,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("listening on {}", sandbox.base_url());
    eprintln!(
        "api user {} (password from --api-password or {API_PASSWORD_VAR}); admin routes under {}/_sandbox/",
        sandbox.api_user(),
        sandbox.base_url()
    );
    dotdigital_sandbox::shutdown_signal().await;
    sandbox.shutdown().await;
    ExitCode::SUCCESS
}

/// The listen address and the configured builder; `None` for `--help`.
fn parse(
    mut args: impl Iterator<Item = String>,
) -> Result<Option<(SocketAddr, SandboxBuilder)>, String> {
    let mut listen: SocketAddr = DEFAULT_LISTEN
        .parse()
        .map_err(|e| format!("default listen address: {e}"))?;
    let password = std::env::var(API_PASSWORD_VAR).unwrap_or_else(|_| DEFAULT_API_PASSWORD.into());
    let mut builder = Sandbox::builder()
        .api_user(DEFAULT_API_USER)
        .api_password(password);
    while let Some(flag) = args.next() {
        let (flag, inline) = match flag.split_once('=') {
            Some((flag, value)) => (flag.to_owned(), Some(value.to_owned())),
            None => (flag, None),
        };
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        let Some(value) = inline.or_else(|| args.next()) else {
            return Err(format!("{flag} needs a value"));
        };
        let number = |what: &str| format!("{flag} takes {what}, got '{value}'");
        builder = match flag.as_str() {
            "--listen" => {
                listen = value.parse().map_err(|_| number("HOST:PORT"))?;
                builder
            }
            "--api-user" => builder.api_user(value),
            "--api-password" => builder.api_password(value),
            "--rate-limit" => builder.rate_limit(value.parse().map_err(|_| number("a count"))?),
            "--fail-rate" => builder.fail_rate(probability(&value).ok_or_else(|| number("0..1"))?),
            "--drop-rate" => builder.drop_rate(probability(&value).ok_or_else(|| number("0..1"))?),
            "--latency-ms" => builder.latency(Duration::from_millis(
                value.parse().map_err(|_| number("milliseconds"))?,
            )),
            "--seed" => builder.seed(value.parse().map_err(|_| number("an integer"))?),
            "--custom-identifier" => builder.custom_identifier(value),
            other => return Err(format!("unknown option {other}")),
        };
    }
    Ok(Some((listen, builder)))
}

fn probability(value: &str) -> Option<f64> {
    value
        .parse::<f64>()
        .ok()
        .filter(|p| (0.0..=1.0).contains(p))
}
