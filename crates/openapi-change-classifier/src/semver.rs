//! What the changes mean for releases: the Rust semver bump of a client
//! generated with `#[non_exhaustive]` types, the verdict in a few words.

use std::collections::BTreeSet;

use crate::diff::Change;
use crate::rules::Level;

/// What a change does to the Rust API of the generated client (and so of the
/// wrapper, which re-exports its types): the semver bump it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rust {
    /// Nothing a Rust caller can see changes.
    Patch,
    /// New items only: a new field on a `#[non_exhaustive]` struct, a new
    /// variant of a `#[non_exhaustive]` enum, a new builder method.
    Minor,
    /// Code that compiled before may not compile or behave the same.
    Major,
}

impl Rust {
    /// `major`, `minor` or `patch`.
    pub fn label(self) -> &'static str {
        match self {
            Rust::Patch => "patch",
            Rust::Minor => "minor",
            Rust::Major => "major",
        }
    }
}

/// Rules that change nothing a Rust caller sees.
const RUST_PATCH: [&str; 5] = [
    "response-header-added",
    "endpoint-deprecated",
    "endpoint-reactivated",
    "request-body-media-type-added",
    "response-media-type-added",
];

/// Rules that only add generated items.
const RUST_MINOR: [&str; 8] = [
    "endpoint-added",
    "new-optional-request-parameter",
    "added-optional-request-body",
    "new-optional-request-property",
    "response-success-status-added",
    "response-non-success-status-added",
    "response-required-property-added",
    "response-optional-property-added",
];

/// Schema words that only add generated items (a new variant) or change no
/// signature (a default).
const RUST_MINOR_WORDS: [&str; 4] = [
    "-enum-value-added",
    "-one-of-added",
    "-any-of-added",
    "-default-value-changed",
];

/// The Rust semver impact of one change. Every generated struct and enum is
/// `#[non_exhaustive]` (as dotdigital-codegen makes progenitor's), so additions are minor; anything
/// that removes, renames or retypes a generated item, or makes something
/// required, is major, and so is a change that breaks on the wire (code that
/// compiles may now fail at run time) unless it only adds a variant.
pub fn rust_impact(change: &Change) -> Rust {
    let id = change.id.as_str();
    if RUST_PATCH.contains(&id) {
        return Rust::Patch;
    }
    if id.ends_with("-limit-tightened")
        || id.ends_with("-limit-relaxed")
        || id.ends_with("-pattern-changed")
        || id.ends_with("-pattern-generalized")
    {
        // A string limit is a validating newtype: adding or dropping the
        // limit adds or drops the type; changing its value keeps it.
        let string_limit = ["minLength", "maxLength", "pattern"]
            .iter()
            .any(|l| change.old.starts_with(l) || change.new.starts_with(l));
        return if string_limit && (change.old.is_empty() || change.new.is_empty()) {
            Rust::Major
        } else {
            Rust::Patch
        };
    }
    if RUST_MINOR.contains(&id) || RUST_MINOR_WORDS.iter().any(|w| id.ends_with(w)) {
        return Rust::Minor;
    }
    Rust::Major
}

/// The largest Rust semver impact among `changes`.
pub fn rust_semver(changes: &[Change]) -> Rust {
    changes.iter().map(rust_impact).max().unwrap_or(Rust::Patch)
}

/// The verdict in a few words: `breaking` (or `breaking for exhaustive
/// matches` when that is all that breaks), `warning`, `non-breaking`.
pub fn verdict(changes: &[Change]) -> &'static str {
    let errors: Vec<&Change> = changes.iter().filter(|c| c.level == Level::Error).collect();
    match changes.iter().map(|c| c.level).min() {
        None => "no change",
        Some(Level::Error) if errors.iter().all(|c| c.breaks_exhaustive_matches()) => {
            "breaking for exhaustive matches"
        }
        Some(Level::Error) => "breaking",
        Some(Level::Warning) => "warning",
        Some(Level::Info) => "non-breaking",
    }
}

/// How many changes there are at `level`.
pub fn count(changes: &[Change], level: Level) -> usize {
    changes.iter().filter(|c| c.level == level).count()
}

/// What the changes mean for the versions of the client crates: the levels on
/// the wire, and the Rust semver bump the generated API needs.
pub fn semver_hint(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "semver: nothing to release for the API surface.".to_owned();
    }
    let rust = rust_semver(changes);
    let release = match rust {
        Rust::Major => "a breaking release; the crates are 0.x, so 0.x.y -> 0.(x+1).0",
        Rust::Minor => {
            "a feature release that compiles for every caller; the crates are 0.x, so 0.x.y -> 0.x.(y+1)"
        }
        Rust::Patch => "a patch release, 0.x.y -> 0.x.(y+1)",
    };
    let reasons: BTreeSet<&str> = changes
        .iter()
        .filter(|c| rust_impact(c) == rust)
        .map(|c| c.id.as_str())
        .collect();
    let exhaustive = changes
        .iter()
        .filter(|c| c.breaks_exhaustive_matches())
        .count();
    format!(
        "wire: {} error ({exhaustive} of them breaking for exhaustive matches only), {} warning, {} info.\n\
         semver (the generated client): Rust {} ({}): {release}.",
        count(changes, Level::Error),
        count(changes, Level::Warning),
        count(changes, Level::Info),
        rust.label(),
        reasons.into_iter().collect::<Vec<_>>().join(", "),
    )
}

/// Whether anything in `changes` is at `level` or worse.
pub fn any_at(changes: &[Change], level: Level) -> bool {
    changes.iter().any(|c| c.level <= level)
}

/// Whether anything in `changes` breaks (error level).
pub fn any_breaking(changes: &[Change]) -> bool {
    any_at(changes, Level::Error)
}
