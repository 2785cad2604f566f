//! Generates the client from the spec into `OUT_DIR` on every spec change.

use std::path::PathBuf;

fn main() {
    let manifest_dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let spec_path = manifest_dir.join("../../openapi/dotdigital-contacts.yaml");
    println!("cargo:rerun-if-changed={}", spec_path.display());

    let fail = |message: String| -> ! {
        // One readable line instead of a build-script backtrace.
        eprintln!("error: {}: {message}", spec_path.display());
        std::process::exit(1);
    };
    let spec = std::fs::read_to_string(&spec_path)
        .unwrap_or_else(|e| fail(format!("cannot read the spec: {e}")));
    let source = dotdigital_codegen::generate(&spec).unwrap_or_else(|e| fail(e.to_string()));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("dotdigital_contacts_api.rs");
    std::fs::write(&out, source)
        .unwrap_or_else(|e| fail(format!("cannot write {}: {e}", out.display())));
}
