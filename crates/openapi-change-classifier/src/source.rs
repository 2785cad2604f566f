//! Where one side of a diff comes from, and its external `$ref`s.
//!
//! A side is a file path, `git:<rev>` (a default path at that revision) or
//! `git:<rev>:<path>` (any file of the repository at that revision, the path
//! relative to the repository root). Relative file `$ref`s
//! (`$ref: ./schemas/pet.yaml#/Pet`) are read from the same place, relative
//! to the document that holds them, and inlined under [`EXTERNAL`], so the
//! model follows them like local refs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

use crate::{Error, escape};

/// The key of the bundled document under which each external file is kept,
/// by its path relative to the main document (escaped as a pointer token).
pub const EXTERNAL: &str = "x-external-files";

/// More external files than this is a runaway, not a spec.
const MAX_FILES: usize = 1000;

/// One side of a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file on disk.
    File(PathBuf),
    /// A file of the repository at a git revision.
    Git {
        /// The revision, as `git show` takes it.
        rev: String,
        /// The path relative to the repository root.
        path: String,
    },
}

impl Source {
    /// Reads a side as given on the command line; `git:<rev>` alone is
    /// `default_path` at that revision.
    ///
    /// ```
    /// use openapi_change_classifier::Source;
    /// assert_eq!(
    ///     Source::parse("git:HEAD~1", "api.yaml"),
    ///     Source::Git { rev: "HEAD~1".to_owned(), path: "api.yaml".to_owned() }
    /// );
    /// ```
    pub fn parse(side: &str, default_path: &str) -> Source {
        match side.strip_prefix("git:") {
            Some(rest) => match rest.split_once(':') {
                Some((rev, path)) => Source::Git {
                    rev: rev.to_owned(),
                    path: path.to_owned(),
                },
                None => Source::Git {
                    rev: rest.to_owned(),
                    path: default_path.to_owned(),
                },
            },
            None => Source::File(PathBuf::from(side)),
        }
    }

    /// The file's path, as a CI annotation names it (relative to the
    /// repository root for a git side).
    pub fn path(&self) -> String {
        match self {
            Source::File(path) => path.display().to_string(),
            Source::Git { path, .. } => path.clone(),
        }
    }

    /// The text of the main document.
    pub fn read(&self, root: &Path) -> Result<String, Error> {
        self.read_relative(root, "")
    }

    /// The main document parsed, with every external file it reaches inlined.
    pub fn load(&self, root: &Path) -> Result<Value, Error> {
        let text = self.read(root)?;
        let spec = crate::parse(&self.path(), &text)?;
        bundle(spec, |relative| {
            let text = self.read_relative(root, relative)?;
            crate::parse(&format!("{relative} (from {})", self.path()), &text)
        })
    }

    /// A file given relative to the main document's directory; `""` is the
    /// main document itself.
    fn read_relative(&self, root: &Path, relative: &str) -> Result<String, Error> {
        match self {
            Source::File(path) => {
                let path = if relative.is_empty() {
                    path.clone()
                } else {
                    path.parent().unwrap_or(Path::new("")).join(relative)
                };
                std::fs::read_to_string(&path)
                    .map_err(|e| Error::new(format!("cannot read {}: {e}", path.display())))
            }
            Source::Git { rev, path } => {
                let path = if relative.is_empty() {
                    path.clone()
                } else {
                    normalise(&join(parent(path), relative))
                };
                git_show(root, &format!("{rev}:{path}"))
            }
        }
    }
}

fn git_show(root: &Path, object: &str) -> Result<String, Error> {
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["show", object])
        .output()
        .map_err(|e| Error::new(format!("cannot run git: {e}")))?;
    if !output.status.success() {
        return Err(Error::new(format!(
            "git show {object} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    String::from_utf8(output.stdout).map_err(|e| Error::new(format!("{object} is not UTF-8: {e}")))
}

/// `spec` with every relative file `$ref` rewritten to point into
/// `/x-external-files/<path>`, where the file read through `read` (given its
/// path relative to the main document) is kept. Refs to URLs stay as they are.
pub fn bundle(
    mut spec: Value,
    read: impl Fn(&str) -> Result<Value, Error>,
) -> Result<Value, Error> {
    let mut wanted = BTreeSet::new();
    rewrite(&mut spec, None, &mut wanted);
    let mut files: BTreeMap<String, Value> = BTreeMap::new();
    while let Some(path) = wanted.iter().find(|p| !files.contains_key(*p)).cloned() {
        if files.len() >= MAX_FILES {
            return Err(Error::new(format!(
                "more than {MAX_FILES} files reached through $ref"
            )));
        }
        let mut file = read(&path)?;
        rewrite(&mut file, Some(&path), &mut wanted);
        files.insert(path, file);
    }
    if !files.is_empty()
        && let Some(map) = spec.as_object_mut()
    {
        let files: Map<String, Value> = files.into_iter().collect();
        map.insert(EXTERNAL.to_owned(), Value::Object(files));
    }
    Ok(spec)
}

/// Rewrites the refs of one document: `file` is its path relative to the main
/// document (`None` for the main document itself).
fn rewrite(value: &mut Value, file: Option<&str>, wanted: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get_mut("$ref") {
                let (path, fragment) = target.split_once('#').unwrap_or((target.as_str(), ""));
                let fragment = fragment.to_owned();
                let path = if path.is_empty() {
                    // A local ref: local to the file that holds it.
                    file.map(str::to_owned)
                } else if path.contains("://") {
                    None
                } else {
                    Some(normalise(&join(file.map_or("", parent), path)))
                };
                if let Some(path) = path {
                    *target = format!("#/{EXTERNAL}/{}{fragment}", escape(&path));
                    wanted.insert(path);
                }
            }
            for (_, child) in map.iter_mut() {
                rewrite(child, file, wanted);
            }
        }
        Value::Array(items) => {
            for item in items {
                rewrite(item, file, wanted);
            }
        }
        _ => {}
    }
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn join(dir: &str, path: &str) -> String {
    if dir.is_empty() || path.starts_with('/') {
        path.to_owned()
    } else {
        format!("{dir}/{path}")
    }
}

/// `a/./b/../c` as `a/c`; leading `..` stay.
fn normalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    if path.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

    use super::*;
    use serde_json::json;

    #[test]
    fn sides_name_a_file_the_spec_at_a_revision_or_any_path_at_a_revision() {
        assert_eq!(
            Source::parse("a/b.yaml", "spec.yaml"),
            Source::File(PathBuf::from("a/b.yaml"))
        );
        assert_eq!(
            Source::parse("git:origin/main", "spec.yaml"),
            Source::Git {
                rev: "origin/main".to_owned(),
                path: "spec.yaml".to_owned()
            }
        );
        assert_eq!(
            Source::parse("git:HEAD~1:specs/pets.yaml", "spec.yaml"),
            Source::Git {
                rev: "HEAD~1".to_owned(),
                path: "specs/pets.yaml".to_owned()
            }
        );
    }

    #[test]
    fn external_refs_are_inlined_relative_to_the_file_that_holds_them() {
        let spec = json!({"a": {"$ref": "schemas/pet.yaml#/Pet"}, "b": {"$ref": "#/local"},
                          "c": {"$ref": "https://example.com/x.yaml"}});
        let files = json!({
            "schemas/pet.yaml": {"Pet": {"properties": {"tag": {"$ref": "../common/./tag.yaml"},
                                                        "self": {"$ref": "#/Pet"}}}},
            "common/tag.yaml": {"type": "string"}
        });
        let bundled = bundle(spec, |path| Ok(files[path].clone())).unwrap();
        assert_eq!(
            bundled["a"]["$ref"],
            "#/x-external-files/schemas~1pet.yaml/Pet"
        );
        assert_eq!(bundled["b"]["$ref"], "#/local");
        assert_eq!(bundled["c"]["$ref"], "https://example.com/x.yaml");
        let pet = &bundled[EXTERNAL]["schemas/pet.yaml"]["Pet"]["properties"];
        assert_eq!(pet["tag"]["$ref"], "#/x-external-files/common~1tag.yaml");
        assert_eq!(
            pet["self"]["$ref"],
            "#/x-external-files/schemas~1pet.yaml/Pet"
        );
        assert_eq!(bundled[EXTERNAL]["common/tag.yaml"]["type"], "string");
    }
}
