//! `cargo xtask <command>`; see `cargo xtask help`.

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  codegen [--accept]             record snapshots of the generated client and the
                                 normalised spec (pending until `cargo insta review`;
                                 --accept writes them directly)
  check                          spec rules + every snapshot matches; never writes (CI).
                                 When the generated client drifted, also names the
                                 hand-written crates that no longer compile against it
  evolve [--no-build|--test-each]
                                 the evolution test: apply each change of a catalogue
                                 (additive and breaking) to a scratch copy of the spec,
                                 cargo check the hand-written crates against each, cargo
                                 test them with all additive changes at once (each on
                                 its own with --test-each; nothing with --no-build), and
                                 print one row per change with xtask diff's verdict
  diff <old> <new> [--fail-on-breaking]
                                 classify the changes between two specs (each a path or
                                 git:<rev>) for client users, with a semver hint; exit 1
                                 on a breaking change with --fail-on-breaking
  upstream [<file>...]           compare our operations with Dotdigital's published files
                                 (default: ../shared/upstream/, skipped when absent); exit 1
                                 on a difference not listed in openapi/deviations.md
  build-cost                     what a new crate making one import pays to build: cold
                                 `cargo build` time and crates compiled, beside a crate
                                 using reqwest + serde + tokio alone (takes minutes)
  help                           this text
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let root = xtask::workspace_root();
    let result = match args.as_slice() {
        ["codegen"] => xtask::codegen(&root, false),
        ["codegen", "--accept"] => xtask::codegen(&root, true),
        ["check"] => xtask::check_with(&root, true),
        ["evolve", flags @ ..] => {
            use xtask::evolve::Build;
            let build = match flags {
                [] => Build::CheckEachTestTogether,
                ["--no-build"] => Build::Nothing,
                ["--test-each"] => Build::TestEach,
                _ => return usage(),
            };
            return evolve(&root, build);
        }
        [xtask::RECORD] => xtask::record(&root).map(|()| String::new()),
        ["diff", old, new, flags @ ..] => {
            let fail_on_breaking = match flags {
                [] => false,
                ["--fail-on-breaking"] => true,
                _ => return usage(),
            };
            return diff(&root, old, new, fail_on_breaking);
        }
        ["upstream", files @ ..] if !files.iter().any(|f| f.starts_with("--")) => {
            return upstream(&root, files);
        }
        ["build-cost"] => xtask::build_cost::run(&root),
        ["help" | "--help" | "-h"] => Ok(USAGE.to_owned()),
        _ => return usage(),
    };
    finish(result)
}

fn usage() -> ExitCode {
    eprint!("{USAGE}");
    ExitCode::from(2)
}

fn diff(root: &std::path::Path, old: &str, new: &str, fail_on_breaking: bool) -> ExitCode {
    let model = |side: &str| {
        xtask::diff::read_side(root, side).and_then(|text| xtask::diff::model_of(side, &text))
    };
    let models = model(old).and_then(|old_model| Ok((old_model, model(new)?)));
    let (old_model, new_model) = match models {
        Ok(models) => models,
        Err(failure) => return finish(Err(failure)),
    };
    let changes = xtask::diff::diff(&old_model, &new_model);
    print!("{}", xtask::diff::render(&changes));
    if fail_on_breaking && xtask::diff::any_breaking(&changes) {
        eprintln!("error: breaking changes (--fail-on-breaking)");
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn evolve(root: &std::path::Path, build: xtask::evolve::Build) -> ExitCode {
    let scratch = xtask::evolve::scratch_dir(root);
    match xtask::evolve::run(root, &scratch, build) {
        Ok((report, all_ok)) => {
            print!("{report}");
            if all_ok {
                ExitCode::SUCCESS
            } else {
                eprintln!("error: a change did not behave as the catalogue expects (see above)");
                ExitCode::FAILURE
            }
        }
        Err(failure) => finish(Err(failure)),
    }
}

fn upstream(root: &std::path::Path, given: &[&str]) -> ExitCode {
    let Some(files) = xtask::upstream::files(root, given) else {
        println!("skipped: {} not found", xtask::upstream::UPSTREAM_DIR);
        return ExitCode::SUCCESS;
    };
    match xtask::upstream::run(root, &files) {
        Ok((report, all_listed)) => {
            print!("{report}");
            if all_listed {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(failure) => finish(Err(failure)),
    }
}

fn finish(result: Result<String, xtask::Failure>) -> ExitCode {
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
