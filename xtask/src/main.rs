//! `cargo xtask <command>`; see `cargo xtask help`.

use std::process::ExitCode;

use openapi_change_classifier::format::{self, Annotated, Format};
use openapi_change_classifier::{Level, LineIndex, Source};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  codegen [--accept]             record snapshots of the generated client and the
                                 normalised spec, and re-run the crates' tests that own
                                 snapshots (the CLI's --help): --accept writes them all,
                                 without it they are left as .snap.new files
  check                          spec rules + every snapshot matches; never writes (CI).
                                 When the generated client drifted, also names the
                                 hand-written crates that no longer compile against it
  evolve [--no-build|--test-each|--end-to-end]
                                 the evolution test: apply each change of a catalogue
                                 (additive and breaking) to a scratch copy of the spec,
                                 cargo check the hand-written crates against each, cargo
                                 test them with all additive changes at once (each on
                                 its own with --test-each; nothing with --no-build), run
                                 the CLI and the sandbox built with all of them against
                                 each other (only that with --end-to-end), and print one
                                 row per change with xtask diff's verdict
  diff <old> <new> [--format markdown|json|github] [--fail-on-breaking|--fail-on-warning]
                                 classify the changes between two OpenAPI 3.0 documents
                                 (each a path, git:<rev> for the spec at that revision,
                                 or git:<rev>:<path>) for client users: a rule id and a
                                 level (error, warning, info) each, and a semver hint
                                 (github: annotations on the new file's lines);
                                 exit 1 on an error (or a warning) with --fail-on-*
  upstream [<file>...]           compare our operations with Dotdigital's published files
                                 (default: ../shared/upstream/; when absent it skips and says
                                 how to pass them); unlisted differences are listed last;
                                 exit 1 on a difference not listed in openapi/deviations.md
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
                ["--end-to-end"] => Build::EndToEnd,
                _ => return usage(),
            };
            return evolve(&root, build);
        }
        [xtask::RECORD] => xtask::record(&root).map(|()| String::new()),
        ["diff", old, new, flags @ ..] => {
            let Some(options) = DiffOptions::parse(flags) else {
                return usage();
            };
            return diff(&root, old, new, options);
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

/// The flags of `cargo xtask diff`.
struct DiffOptions {
    format: Format,
    /// Exit 1 when a change is at this level or worse.
    fail_on: Option<Level>,
}

impl DiffOptions {
    fn parse(mut flags: &[&str]) -> Option<DiffOptions> {
        let mut options = DiffOptions {
            format: Format::Markdown,
            fail_on: None,
        };
        loop {
            flags = match flags {
                [] => return Some(options),
                ["--format", name, rest @ ..] => {
                    options.format = Format::parse(name)?;
                    rest
                }
                ["--fail-on-breaking", rest @ ..] => {
                    options.fail_on = options.fail_on.max(Some(Level::Error));
                    rest
                }
                ["--fail-on-warning", rest @ ..] => {
                    options.fail_on = Some(Level::Warning);
                    rest
                }
                _ => return None,
            };
        }
    }
}

fn diff(root: &std::path::Path, old: &str, new: &str, options: DiffOptions) -> ExitCode {
    let models = xtask::load_side(root, old)
        .and_then(|old_model| Ok((old_model, xtask::load_side(root, new)?)));
    let (old_model, new_model) = match models {
        Ok(models) => models,
        Err(failure) => return finish(Err(failure)),
    };
    let changes = openapi_change_classifier::diff(&old_model, &new_model);
    let source = Source::parse(new, dotdigital_spec::SPEC_PATH);
    // The new side was just read, so its text is there for the line numbers.
    let lines = source
        .read(root)
        .map(|text| LineIndex::new(&text))
        .unwrap_or_default();
    let file = Annotated {
        file: source.path(),
        lines,
    };
    print!("{}", format::render(&changes, options.format, &file));
    match options.fail_on {
        Some(level) if openapi_change_classifier::any_at(&changes, level) => {
            eprintln!(
                "error: changes at level {} or worse (--fail-on-*)",
                level.label()
            );
            ExitCode::FAILURE
        }
        _ => ExitCode::SUCCESS,
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
        println!("{}", xtask::upstream::skipped());
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
