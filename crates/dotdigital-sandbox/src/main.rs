//! `dotdigital-sandbox`: runs the emulator until Ctrl-C or SIGTERM. The first
//! line on stdout is `listening on http://HOST:PORT`, for scripts.

use std::process::ExitCode;

use clap::Parser;
use dotdigital_sandbox::command_line::{ABOUT, AFTER_HELP, SandboxArgs};

#[derive(Debug, Parser)]
#[command(name = "dotdigital-sandbox", version, about = ABOUT, after_help = AFTER_HELP)]
struct Cli {
    #[command(flatten)]
    args: SandboxArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    match Cli::parse().args.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
