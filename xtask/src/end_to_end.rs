//! The end-to-end part of `cargo xtask evolve`: the `dotdigital` CLI and the
//! `dotdigital-sandbox` binary are built from a changed spec and run for real,
//! so a new property or value is shown to reach the wire, be stored and
//! answered by the sandbox, and be read back by the client, not only to
//! compile. xtask itself never compiles a crate generated from the spec: it
//! builds the binaries in a child cargo and talks to them over loopback.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

use crate::{Failure, cargo};

/// One behaviour to show end to end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// A JSONL sync sends `value` at `path` of the import body; the sandbox
    /// stores it, and the next import's answer, as the CLI prints it, holds it.
    Property { path: Vec<String>, value: String },
    /// `--merge-option VALUE` reaches the sandbox, which applies it or says
    /// it does not emulate it, naming it.
    MergeOption { value: String },
    /// A request enum value at `path` of the body is stored and echoed at the
    /// same path of the answer, or answered "not emulated" naming it.
    RequestValue { path: Vec<String>, value: String },
    /// A server answering `value` at `path` of a success body (the spec's
    /// example otherwise): the CLI succeeds and prints it unchanged.
    ResponseValue { path: Vec<String>, value: String },
}

/// The binaries built from one spec.
struct Binaries {
    cli: PathBuf,
    sandbox: PathBuf,
}

/// Builds both binaries from `spec_path` and runs every probe; each result
/// is what was seen (`Ok`) or what went wrong (`Err`).
pub fn run(
    root: &Path,
    spec_path: &Path,
    spec: &Value,
    probes: &[Probe],
) -> Result<Vec<Result<String, String>>, Failure> {
    let binaries = build(root, spec_path)?;
    let sandbox = SandboxProcess::start(&binaries.sandbox)?;
    let scratch = crate::evolve::scratch_dir(root).join("end-to-end");
    std::fs::create_dir_all(&scratch)
        .map_err(|e| Failure::new(format!("cannot create {}: {e}", scratch.display())))?;
    Ok(probes
        .iter()
        .enumerate()
        .map(|(i, probe)| {
            let email = format!("evolve-{i}@example.com");
            match probe {
                Probe::Property { path, value } => {
                    property(&binaries, &sandbox, &scratch, &email, path, value)
                }
                Probe::MergeOption { value } => merge_option(&binaries, &sandbox, &email, value),
                Probe::RequestValue { path, value } => {
                    request_value(&binaries, spec, &sandbox, &email, path, value)
                }
                Probe::ResponseValue { path, value } => {
                    response_value(&binaries, spec, path, value)
                }
            }
        })
        .collect())
}

fn build(root: &Path, spec_path: &Path) -> Result<Binaries, Failure> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(root)
        .args([
            "build",
            "--locked",
            "-p",
            "dotdigital-cli",
            "-p",
            "dotdigital-sandbox",
            "--bins",
        ])
        .env(cargo::SPEC_VAR, spec_path)
        .output()
        .map_err(|e| Failure::new(format!("cannot run cargo build: {e}")))?;
    if !output.status.success() {
        return Err(Failure::new(format!(
            "building the CLI and the sandbox from {} failed:\n{}",
            spec_path.display(),
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), PathBuf::from)
        .join("debug");
    Ok(Binaries {
        cli: target.join(format!("dotdigital{}", std::env::consts::EXE_SUFFIX)),
        sandbox: target.join(format!(
            "dotdigital-sandbox{}",
            std::env::consts::EXE_SUFFIX
        )),
    })
}

/// The sandbox binary on a free loopback port, stopped on drop.
struct SandboxProcess {
    child: Child,
    base_url: String,
}

impl SandboxProcess {
    fn start(binary: &Path) -> Result<Self, Failure> {
        let mut child = Command::new(binary)
            .args(["--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| Failure::new(format!("cannot start {}: {e}", binary.display())))?;
        let mut line = String::new();
        if let Some(stdout) = child.stdout.take() {
            // Bounded: the first line says where it listens.
            let _ = BufReader::new(stdout.take(1024)).read_line(&mut line);
        }
        let base_url = line.trim().strip_prefix("listening on ").map(str::to_owned);
        match base_url {
            Some(base_url) => Ok(SandboxProcess { child, base_url }),
            None => {
                let _ = child.kill();
                Err(Failure::new(format!(
                    "the sandbox did not say where it listens: {line:?}"
                )))
            }
        }
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The CLI against `base_url` with the sandbox's demo credentials.
fn cli(
    binaries: &Binaries,
    base_url: &str,
    args: &[&str],
    stdin: Option<&str>,
) -> Result<(i32, String, String), String> {
    let mut child = Command::new(&binaries.cli)
        .env_clear()
        .env("DOTDIGITAL_BASE_URL", base_url)
        .env("DOTDIGITAL_API_USER", "demo@apiconnector.com")
        .env("DOTDIGITAL_API_PASSWORD", "demo-password")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run the CLI: {e}"))?;
    if let Some(mut input) = child.stdin.take() {
        input
            .write_all(stdin.unwrap_or_default().as_bytes())
            .map_err(|e| format!("cannot write to the CLI: {e}"))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| format!("the CLI did not finish: {e}"))?;
    Ok((
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    ))
}

/// `{"a": {"b": value}}` for the path `a.b`.
fn nest(path: &[String], value: Value) -> Value {
    path.iter()
        .rev()
        .fold(value, |inner, key| json!({ key.as_str(): inner }))
}

fn at<'a>(value: &'a Value, path: &[String]) -> &'a Value {
    path.iter().fold(value, |v, key| &v[key.as_str()])
}

/// The contact as the CLI prints it after a plain import (nothing set).
fn imported(binaries: &Binaries, base_url: &str, email: &str) -> Result<Value, String> {
    let (code, stdout, stderr) = cli(
        binaries,
        base_url,
        &["contacts", "import", "email", email],
        None,
    )?;
    if code != 0 {
        return Err(format!("the import back exited {code}: {}", stderr.trim()));
    }
    let printed: Value =
        serde_json::from_str(&stdout).map_err(|e| format!("the CLI printed no JSON ({e})"))?;
    Ok(printed["contact"].clone())
}

fn property(
    binaries: &Binaries,
    sandbox: &SandboxProcess,
    scratch: &Path,
    email: &str,
    path: &[String],
    value: &str,
) -> Result<String, String> {
    let mut row = nest(path, json!(value));
    row["identifiers"] = json!({ "email": email });
    let file = scratch.join(format!("{email}.jsonl"));
    std::fs::write(&file, format!("{row}\n"))
        .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    let file = file.display().to_string();
    let (code, _, stderr) = cli(
        binaries,
        &sandbox.base_url,
        &["contacts", "sync", &file],
        None,
    )?;
    if code != 0 {
        return Err(format!("the sync exited {code}: {}", stderr.trim()));
    }
    let contact = imported(binaries, &sandbox.base_url, email)?;
    match at(&contact, path) {
        Value::String(got) if got == value => Ok(format!(
            "a sync sent {}, the sandbox stored it, the client read it back",
            path.join(".")
        )),
        other => Err(format!("{} read back as {other}", path.join("."))),
    }
}

fn merge_option(
    binaries: &Binaries,
    sandbox: &SandboxProcess,
    email: &str,
    value: &str,
) -> Result<String, String> {
    let args = [
        "contacts",
        "import",
        "email",
        email,
        "--merge-option",
        value,
    ];
    let (code, _, stderr) = cli(binaries, &sandbox.base_url, &args, None)?;
    match code {
        0 => Ok(format!("merge option {value} sent and applied")),
        1 if stderr.contains(value) && stderr.contains("emulat") => Ok(format!(
            "merge option {value} sent; the sandbox says it does not emulate it"
        )),
        _ => Err(format!(
            "merge option {value}: exit {code}: {}",
            stderr.trim()
        )),
    }
}

fn request_value(
    binaries: &Binaries,
    spec: &Value,
    sandbox: &SandboxProcess,
    email: &str,
    path: &[String],
    value: &str,
) -> Result<String, String> {
    // The spec's own example of the body (a contact with every channel it
    // needs), with the new value at its path.
    let mut body = request_example(spec).unwrap_or_else(|| json!({}));
    set(&mut body, path, json!(value));
    body["identifiers"]["email"] = json!(email);
    let args = ["contacts", "import", "email", email, "--json", "-"];
    let (code, stdout, stderr) = cli(binaries, &sandbox.base_url, &args, Some(&body.to_string()))?;
    let shown = path.join(".");
    match code {
        0 => {
            let printed: Value =
                serde_json::from_str(&stdout).map_err(|e| format!("no JSON printed ({e})"))?;
            match at(&printed["contact"], path) {
                Value::String(got) if got == value => {
                    Ok(format!("{shown} = {value} sent, stored and echoed"))
                }
                other => Err(format!("{shown} = {value} answered as {other}")),
            }
        }
        1 if stderr.contains(value) && stderr.contains("emulat") => Ok(format!(
            "{shown} = {value} sent; the sandbox says it does not emulate it"
        )),
        _ => Err(format!("{shown} = {value}: exit {code}: {}", stderr.trim())),
    }
}

fn response_value(
    binaries: &Binaries,
    spec: &Value,
    path: &[String],
    value: &str,
) -> Result<String, String> {
    let example = success_example(spec).ok_or("the import's success schema has no example")?;
    let mut seen = Vec::new();
    // The value the spec now lists, and one no spec lists yet.
    for sent in [value, "fromALaterRelease"] {
        let mut body = example.clone();
        set(&mut body, path, json!(sent));
        let base_url =
            answer_once(201, &body.to_string()).map_err(|e| format!("cannot serve: {e}"))?;
        let (code, stdout, stderr) = cli(
            binaries,
            &base_url,
            &["contacts", "import", "email", "ann@example.com"],
            None,
        )?;
        if code != 0 {
            return Err(format!(
                "{sent} at {}: exit {code}: {}",
                path.join("."),
                stderr.trim()
            ));
        }
        let printed: Value =
            serde_json::from_str(&stdout).map_err(|e| format!("no JSON printed ({e})"))?;
        if at(&printed["contact"], path) != &json!(sent) {
            return Err(format!(
                "{sent} at {} printed as {}",
                path.join("."),
                at(&printed["contact"], path)
            ));
        }
        seen.push(sent);
    }
    Ok(format!(
        "answers with {} at {} read and printed unchanged",
        seen.join(" and "),
        path.join(".")
    ))
}

fn set(value: &mut Value, path: &[String], new: Value) {
    let mut slot = value;
    for key in path {
        slot = &mut slot[key.as_str()];
    }
    *slot = new;
}

/// The example of the import's request body, as the operation gives it.
fn request_example(spec: &Value) -> Option<Value> {
    dotdigital_spec::operations(spec)
        .find(|(_, _, op)| op["operationId"] == "importContact")
        .and_then(|(_, _, op)| {
            op["requestBody"]["content"]
                .as_object()?
                .values()
                .find_map(|media| {
                    media["example"]
                        .is_object()
                        .then(|| media["example"].clone())
                })
        })
}

/// The example of the import's success schema.
fn success_example(spec: &Value) -> Option<Value> {
    let (_, name) = crate::evolve::import_schemas(spec)?;
    let example = &spec["components"]["schemas"][name.as_str()]["example"];
    example.is_object().then(|| example.clone())
}

/// A server on a free loopback port that answers one request with `status`
/// and `body` (JSON), then closes.
fn answer_once(status: u16, body: &str) -> std::io::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}", listener.local_addr()?);
    let answer = format!(
        "HTTP/1.1 {status} OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    std::thread::spawn(move || -> std::io::Result<()> {
        let (stream, _) = listener.accept()?;
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut length = 0u64;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 || line == "\r\n" {
                break;
            }
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        std::io::copy(&mut reader.take(length.min(1 << 20)), &mut std::io::sink())?;
        let mut stream = stream;
        stream.write_all(answer.as_bytes())
    });
    Ok(url)
}
