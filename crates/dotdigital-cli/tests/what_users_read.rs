//! Snapshots of what users read: every command's `--help`, and the main job's
//! stdout and stderr (timings and ports redacted). A change to any of them
//! shows up in review as a snapshot diff.

#![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

use std::process::Command;

fn dotdigital(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dotdigital"))
        .env_clear()
        .env("NO_COLOR", "1")
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn help_of_every_command() {
    for command in [
        vec![],
        vec!["contacts"],
        vec!["contacts", "import"],
        vec!["contacts", "update"],
        vec!["contacts", "sync"],
        vec!["sandbox"],
    ] {
        let mut args = command.clone();
        args.push("--help");
        let output = dotdigital(&args);
        assert!(output.status.success(), "{args:?}");
        let name = if command.is_empty() {
            "help".to_owned()
        } else {
            format!("help_{}", command.join("_"))
        };
        insta::assert_snapshot!(name, String::from_utf8_lossy(&output.stdout));
    }
}

/// Replaces every run of digits after `prefix` up to `end` with `[redacted]`.
fn redact(text: &str, prefix: &str, end: char) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(prefix) {
        let (head, tail) = rest.split_at(at + prefix.len());
        out.push_str(head);
        let stop = tail.find(end).unwrap_or(tail.len());
        out.push_str("[redacted]");
        rest = &tail[stop..];
    }
    out.push_str(rest);
    out
}

#[test]
fn the_main_job_says_what_it_did() {
    let output = dotdigital(&[
        "contacts",
        "sync",
        "examples/contacts.csv",
        "--sandbox=auto",
    ]);
    assert!(output.status.success());
    let stdout = redact(&String::from_utf8_lossy(&output.stdout), "elapsed: ", '\n');
    let stderr = redact(
        &String::from_utf8_lossy(&output.stderr),
        "http://127.0.0.1:",
        '\n',
    );
    insta::assert_snapshot!("main_job_stdout", stdout);
    insta::assert_snapshot!("main_job_stderr", stderr);
}
