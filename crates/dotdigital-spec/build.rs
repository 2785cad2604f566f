//! Picks the spec text this crate carries: `openapi/dotdigital-contacts.yaml`
//! (through the crate's symlink), or the file `DOTDIGITAL_CONTACTS_SPEC` names.
//!
//! `cargo xtask evolve` sets the variable to build every crate (the generated
//! client, the sandbox, the CLI) against a changed copy of the spec, so the
//! sandbox it runs emulates the changed spec, not today's.

use std::path::PathBuf;

const SPEC_VAR: &str = "DOTDIGITAL_CONTACTS_SPEC";

fn main() {
    println!("cargo:rerun-if-env-changed={SPEC_VAR}");
    let source = match std::env::var_os(SPEC_VAR) {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from("dotdigital-contacts.yaml"),
    };
    println!("cargo:rerun-if-changed={}", source.display());
    let text = std::fs::read_to_string(&source).unwrap_or_else(|e| {
        eprintln!("error: {}: cannot read the spec: {e}", source.display());
        std::process::exit(1);
    });
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("spec.yaml"), text).unwrap_or_else(|e| {
        eprintln!("error: cannot write the spec into OUT_DIR: {e}");
        std::process::exit(1);
    });
}
