//! Generates the client from the spec into `OUT_DIR` on every spec change.
//!
//! The spec is the one `dotdigital-spec` carries (`openapi/dotdigital-contacts.yaml`),
//! unless `DOTDIGITAL_CONTACTS_SPEC` names another file: `cargo xtask evolve`
//! builds the hand-written crates against changed copies of the spec that way.

use std::path::PathBuf;

const SPEC_VAR: &str = "DOTDIGITAL_CONTACTS_SPEC";

fn main() {
    println!("cargo:rerun-if-env-changed={SPEC_VAR}");
    let (origin, spec) = match std::env::var_os(SPEC_VAR) {
        Some(path) => {
            let path = PathBuf::from(path);
            println!("cargo:rerun-if-changed={}", path.display());
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                fail(
                    &path.display().to_string(),
                    format!("cannot read the spec: {e}"),
                )
            });
            (path.display().to_string(), text)
        }
        None => (
            dotdigital_spec::SPEC_PATH.to_owned(),
            dotdigital_spec::SPEC_YAML.to_owned(),
        ),
    };
    let source =
        dotdigital_codegen::generate(&spec).unwrap_or_else(|e| fail(&origin, e.to_string()));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("dotdigital_contacts_api.rs");
    std::fs::write(&out, source)
        .unwrap_or_else(|e| fail(&origin, format!("cannot write {}: {e}", out.display())));
}

/// One readable line instead of a build-script backtrace.
fn fail(origin: &str, message: String) -> ! {
    eprintln!("error: {origin}: {message}");
    std::process::exit(1);
}
