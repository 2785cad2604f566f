//! The sync report: one JSON line per input row, written as each row
//! finishes, and read back by `--resume`.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What happened to a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Created,
    Updated,
    Failed,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Line {
    pub row: u64,
    pub identifier: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub contact_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
    /// For failures: whether the import may have been applied (`not-sent`, `maybe-sent`, `sent`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub delivery: Option<String>,
}

/// Where report lines go; every line is flushed so an interrupted sync keeps
/// its record.
pub struct Report {
    path: Option<PathBuf>,
    writer: Option<BufWriter<File>>,
}

impl Report {
    /// No report file.
    pub fn none() -> Self {
        Report {
            path: None,
            writer: None,
        }
    }

    /// A new report (refusing to overwrite one), or the existing one to append to on resume.
    pub fn open(path: &Path, resume: bool) -> Result<Self, String> {
        if !resume && path.exists() {
            return Err(format!(
                "{} exists: pass --resume to continue that sync, or remove it",
                path.display()
            ));
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(Report {
            path: Some(path.to_owned()),
            writer: Some(BufWriter::new(file)),
        })
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    pub fn write(&mut self, line: &Line) -> Result<(), String> {
        let Some(writer) = &mut self.writer else {
            return Ok(());
        };
        let text = serde_json::to_string(line).map_err(|e| e.to_string())?;
        writeln!(writer, "{text}")
            .and_then(|()| writer.flush())
            .map_err(|e| format!("cannot write the report: {e}"))
    }
}

/// Rows recorded as created or updated, as a bit set (1M rows take 125 KB).
#[derive(Debug, Default)]
pub struct DoneRows(Vec<u64>);

impl DoneRows {
    /// Reads a report; a torn last line (the process was killed mid-write) is ignored.
    pub fn read(path: &Path) -> Result<Self, String> {
        let mut done = DoneRows::default();
        let file = match File::open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(done),
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        for line in BufReader::new(file).lines() {
            let line = line.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            if let Ok(line) = serde_json::from_str::<Line>(&line)
                && line.status != Status::Failed
            {
                done.insert(line.row);
            }
        }
        Ok(done)
    }

    pub fn insert(&mut self, row: u64) {
        let (word, bit) = ((row / 64) as usize, row % 64);
        if self.0.len() <= word {
            self.0.resize(word + 1, 0);
        }
        self.0[word] |= 1 << bit;
    }

    pub fn contains(&self, row: u64) -> bool {
        self.0
            .get((row / 64) as usize)
            .is_some_and(|w| w & (1 << (row % 64)) != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn done_rows_come_from_successes_only_and_survive_a_torn_line() {
        let path = std::env::temp_dir().join(format!("dd-report-{}.jsonl", std::process::id()));
        std::fs::write(
            &path,
            "{\"row\":1,\"identifier\":\"a\",\"status\":\"created\"}\n{\"row\":2,\"identifier\":\"b\",\"status\":\"failed\",\"error\":\"x\"}\n{\"row\":700,\"identifier\":\"c\",\"status\":\"updated\"}\n{\"row\":3,\"ident",
        )
        .unwrap();
        let done = DoneRows::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert!(done.contains(1) && done.contains(700));
        assert!(!done.contains(2) && !done.contains(3) && !done.contains(64));
    }
}
