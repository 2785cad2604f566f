//! `cargo xtask <command>`; see `cargo xtask help`.

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  codegen [--accept]             record snapshots of the generated client and the
                                 normalised spec (pending until `cargo insta review`;
                                 --accept writes them directly)
  check                          spec rules + every snapshot matches; never writes (CI)
  help                           this text
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let root = xtask::workspace_root();
    let result = match args.as_slice() {
        ["codegen"] => xtask::codegen(&root, false),
        ["codegen", "--accept"] => xtask::codegen(&root, true),
        ["check"] => xtask::check(&root),
        [xtask::RECORD] => xtask::record(&root).map(|()| String::new()),
        ["help" | "--help" | "-h"] => Ok(USAGE.to_owned()),
        _ => {
            eprint!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(report) => {
            if !report.is_empty() {
                println!("{}", report.trim_end());
            }
            ExitCode::SUCCESS
        }
        Err(failure) => {
            // Printed once, whole: the report is the user interface.
            eprintln!("{}", failure.to_string().trim_end());
            ExitCode::FAILURE
        }
    }
}
