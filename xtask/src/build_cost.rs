//! What a downstream crate pays to build: a new binary crate that depends on
//! `dotdigital-contacts` and makes one import, beside the floor, a crate that
//! makes the same call with reqwest (rustls) + serde + tokio alone. Each is
//! built cold (`cargo build`, its own target directory, this workspace's
//! `Cargo.lock` so both resolve the same versions), timed, and its compiled
//! crates counted.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::Failure;

/// A binary crate outside any workspace, with `dependencies`.
fn manifest(name: &str, dependencies: &str) -> String {
    format!(
        "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[workspace]\n\n[dependencies]\n{dependencies}"
    )
}

const TOKIO: &str = r#"tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
"#;

const FLOOR_DEPENDENCIES: &str = r#"reqwest = { version = "0.13", default-features = false, features = ["rustls", "json"] }
serde = { version = "1", features = ["derive"] }
serde_json = "1"
"#;

const FLOOR_MAIN: &str = r#"#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let body = serde_json::json!({"identifiers": {"email": "ann@example.com"}, "dataFields": {"FIRSTNAME": "Ann"}});
    let contact: serde_json::Value = reqwest::Client::new()
        .patch("https://r1-api.dotdigital.com/contacts/v3/email/ann@example.com?merge-option=overwrite")
        .basic_auth("apiuser@apiconnector.com", Some("password"))
        .json(&body)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    println!("{}", contact["contactId"]);
    Ok(())
}
"#;

const SDK_MAIN: &str = r#"use dotdigital_contacts::{ContactsClient, Identifier};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let imported = ContactsClient::from_env()?
        .import_contact(Identifier::email("ann@example.com"))
        .set("FIRSTNAME", "Ann")
        .send()
        .await?;
    println!("{}", imported.contact.contact_id);
    Ok(())
}
"#;

/// One cold build.
struct Built {
    name: &'static str,
    crates: usize,
    elapsed: Duration,
}

/// Builds both crates under `target/xtask-build-cost/` and prints a table.
pub fn run(root: &Path) -> Result<String, Failure> {
    let scratch = root.join("target/xtask-build-cost");
    let path = root.join("crates/dotdigital-contacts");
    let sdk_dependency = format!(
        "dotdigital-contacts = {{ path = {:?} }}\n",
        path.display().to_string()
    );
    let floor_manifest = manifest("floor", &format!("{FLOOR_DEPENDENCIES}{TOKIO}"));
    let sdk_manifest = manifest("sdk", &format!("{sdk_dependency}{TOKIO}"));
    let floor = build(
        root,
        &scratch.join("floor"),
        "reqwest + serde + tokio (the floor)",
        &floor_manifest,
        FLOOR_MAIN,
    )?;
    let sdk = build(
        root,
        &scratch.join("sdk"),
        "dotdigital-contacts",
        &sdk_manifest,
        SDK_MAIN,
    )?;
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut out = format!(
        "| a new crate making one import ({jobs} build jobs, cold `cargo build`) | crates compiled | build time |\n|---|---|---|\n"
    );
    for built in [&floor, &sdk] {
        out.push_str(&format!(
            "| {} | {} | {:.1} s |\n",
            built.name,
            built.crates,
            built.elapsed.as_secs_f64()
        ));
    }
    out.push_str(&format!(
        "| ratio dotdigital-contacts / floor | {:.2} | {:.2} |\n",
        sdk.crates as f64 / floor.crates as f64,
        sdk.elapsed.as_secs_f64() / floor.elapsed.as_secs_f64()
    ));
    Ok(out)
}

fn build(
    root: &Path,
    dir: &Path,
    name: &'static str,
    manifest: &str,
    main: &str,
) -> Result<Built, Failure> {
    let io = |e: std::io::Error| Failure::new(format!("{}: {e}", dir.display()));
    // Cold: nothing left from an earlier run.
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("src")).map_err(io)?;
    std::fs::write(dir.join("Cargo.toml"), manifest).map_err(io)?;
    std::fs::write(dir.join("src/main.rs"), main).map_err(io)?;
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).map_err(io)?;
    eprintln!("building {name} cold…");
    let start = Instant::now();
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()))
        .arg("build")
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env("CARGO_TERM_COLOR", "never")
        .env_remove("RUSTFLAGS")
        .output()
        .map_err(io)?;
    let elapsed = start.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(Failure::new(format!("building {name} failed:\n{stderr}")));
    }
    let crates = stderr
        .lines()
        .filter(|l| l.trim_start().starts_with("Compiling "))
        .count();
    let _ = std::fs::remove_dir_all(dir.join("target"));
    Ok(Built {
        name,
        crates,
        elapsed,
    })
}
