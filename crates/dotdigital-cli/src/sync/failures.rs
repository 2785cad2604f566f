//! Failed rows made visible without a report: the first few are printed with
//! their reason, the rest counted, and the summary counts them by reason.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use dotdigital_contacts::Error;

use super::report::Line;
use crate::terminal::{self, Stderr};

/// How many failed rows are printed with their reason.
const SHOWN: u64 = 10;

/// Why a row failed, in classes a summary can count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// The input row cannot be taken as it is (shape, cells, JSON).
    BadRow,
    /// On `--resume`: a later row for the same contact is already applied.
    Superseded,
    /// The client's checks refused it before the network.
    Invalid,
    /// The service answered with this HTTP status.
    Http(u16),
    /// No answer: refused, dropped or timed out.
    NoAnswer,
    Other,
}

impl Reason {
    pub fn of(error: &Error) -> Reason {
        match error {
            Error::Validation { .. } => Reason::Invalid,
            Error::Transport { .. } => Reason::NoAnswer,
            other => other
                .status()
                .map_or(Reason::Other, |status| Reason::Http(status.as_u16())),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::BadRow => f.write_str("bad row"),
            Reason::Superseded => f.write_str("superseded by a later row"),
            Reason::Invalid => f.write_str("invalid"),
            Reason::Http(status) => write!(f, "HTTP {status}"),
            Reason::NoAnswer => f.write_str("no answer"),
            Reason::Other => f.write_str("other"),
        }
    }
}

/// The failed rows seen so far.
pub struct Failures {
    stderr: Stderr,
    report: Option<PathBuf>,
    total: u64,
    by_reason: BTreeMap<Reason, u64>,
}

impl Failures {
    pub fn new(stderr: &Stderr, report: Option<PathBuf>) -> Self {
        Failures {
            stderr: stderr.clone(),
            report,
            total: 0,
            by_reason: BTreeMap::new(),
        }
    }

    /// Counts a failed row, and prints it while fewer than [`SHOWN`] were.
    pub fn add(&mut self, line: &Line) {
        self.total += 1;
        *self
            .by_reason
            .entry(line.reason.unwrap_or(Reason::Other))
            .or_insert(0) += 1;
        if self.total <= SHOWN {
            let error = line.error.as_deref().unwrap_or("");
            self.stderr.line(&format!(
                "row {} ({}) failed: {}",
                line.row,
                terminal::escape(&terminal::cut(&line.identifier, 80)),
                terminal::escape(&terminal::cut(error, terminal::QUOTED_CHARS)),
            ));
        }
    }

    /// After the last row: how many failed rows were not printed, and where
    /// to find them.
    pub fn finish(&self) {
        if self.total <= SHOWN {
            return;
        }
        let rest = self.total - SHOWN;
        let hint = match &self.report {
            Some(path) => format!("every row's reason is in {}", path.display()),
            None => "rerun with --report FILE to keep every row's reason".to_owned(),
        };
        self.stderr.line(&format!(
            "... and {rest} more failed row{}; {hint}",
            if rest == 1 { "" } else { "s" }
        ));
    }

    /// `HTTP 400: 3, bad row: 2`, most frequent first; `None` without failures.
    pub fn by_reason(&self) -> Option<String> {
        let mut counts: Vec<_> = self.by_reason.iter().collect();
        counts.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        (!counts.is_empty()).then(|| {
            counts
                .iter()
                .map(|(reason, n)| format!("{reason}: {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
    }
}
