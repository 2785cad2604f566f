//! The sync report: one JSON line per input row, written as each row
//! finishes, and read back by `--resume`.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::failure::{Exit, Failure};

/// What happened to a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Created,
    Updated,
    Failed,
    /// `--dry-run`: the row passed every check; nothing was sent.
    Valid,
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

/// Where report lines go. The lines of the rows finished so far are written
/// whole, in one write, so a crash can tear at most the last one, which
/// `--resume` mends.
pub struct Report {
    path: Option<PathBuf>,
    file: Option<File>,
    /// Lines not yet written.
    pending: Vec<u8>,
}

impl Report {
    /// No report file.
    pub fn none() -> Self {
        Report {
            path: None,
            file: None,
            pending: Vec::new(),
        }
    }

    /// A new report; an existing one is refused (it belongs to another run).
    pub fn create(path: &Path) -> Result<Self, Failure> {
        if path.exists() {
            return Err(Failure::usage(format!(
                "{} exists: pass --resume to continue that sync, or remove it",
                path.display()
            )));
        }
        Self::append_to(path)
    }

    /// The report of an interrupted sync, to continue: its torn last line (a
    /// crash in the middle of a write) is cut off, or finished with a newline
    /// when it is whole, and `notice` is told which. Returns the rows already
    /// created or updated. Any other unreadable line, or a row beyond
    /// `max_row`, is an error: it is not this input's report.
    pub fn resume(
        path: &Path,
        max_row: u64,
        notice: impl Fn(&str),
    ) -> Result<(Self, DoneRows), Failure> {
        let name = path.display();
        let cannot = |e: std::io::Error| Failure::usage(format!("cannot read {name}: {e}"));
        let mut done = DoneRows::default();
        let mut file = match OpenOptions::new().read(true).write(true).open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Self::append_to(path)?, done));
            }
            Err(e) => return Err(cannot(e)),
        };
        let mut reader = BufReader::new(&mut file);
        let (mut whole_bytes, mut number, mut text) = (0u64, 0u64, Vec::new());
        let mut torn = None;
        loop {
            text.clear();
            let read = reader.read_until(b'\n', &mut text).map_err(cannot)?;
            if read == 0 {
                break;
            }
            number += 1;
            let complete = text.last() == Some(&b'\n');
            let parsed = serde_json::from_slice::<Line>(&text);
            if !complete {
                torn = Some((read, parsed.ok()));
                break;
            }
            let line = parsed.map_err(|e| {
                Failure::usage(format!(
                    "{name} line {number} is not a sync report line ({e}); --resume needs the report this input's sync wrote"
                ))
            })?;
            if line.row == 0 || line.row > max_row {
                return Err(Failure::usage(format!(
                    "{name} line {number} records row {}, but the input has at most {max_row} rows: is it the report of another input?",
                    line.row
                )));
            }
            if matches!(line.status, Status::Created | Status::Updated) {
                done.insert(line.row);
            }
            whole_bytes += read as u64;
        }
        drop(reader);
        match torn {
            Some((_, Some(line))) if line.row > 0 && line.row <= max_row => {
                file.seek(SeekFrom::End(0))
                    .and_then(|_| file.write_all(b"\n"))
                    .map_err(cannot)?;
                if matches!(line.status, Status::Created | Status::Updated) {
                    done.insert(line.row);
                }
                notice(&format!(
                    "report: line {number} was whole but had no newline (an interrupted write); finished it"
                ));
            }
            Some((bytes, _)) => {
                file.set_len(whole_bytes).map_err(cannot)?;
                notice(&format!(
                    "report: cut off a torn last line ({bytes} bytes, line {number}) left by an interrupted write; its row is done again"
                ));
            }
            None => {}
        }
        Ok((Self::append_to(path)?, done))
    }

    fn append_to(path: &Path) -> Result<Self, Failure> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))?;
        Ok(Report {
            path: Some(path.to_owned()),
            file: Some(file),
            pending: Vec::new(),
        })
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Adds a line; it reaches the file at the next [`flush`](Self::flush).
    pub fn write(&mut self, line: &Line) -> Result<(), Failure> {
        if self.file.is_none() {
            return Ok(());
        }
        serde_json::to_writer(&mut self.pending, line)
            .map_err(|e| Failure::new(Exit::Failed, e.to_string()))?;
        self.pending.push(b'\n');
        Ok(())
    }

    /// Writes the pending lines in one write: one system call per batch of
    /// finished rows, not per row.
    pub fn flush(&mut self) -> Result<(), Failure> {
        let Some(file) = &mut self.file else {
            return Ok(());
        };
        file.write_all(&self.pending)
            .map_err(|e| Failure::new(Exit::Failed, format!("cannot write the report: {e}")))?;
        self.pending.clear();
        Ok(())
    }
}

/// Rows recorded as created or updated, as a bit set (1M rows take 125 KB;
/// the caller bounds the row numbers).
#[derive(Debug, Default)]
pub struct DoneRows(Vec<u64>);

impl DoneRows {
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

    fn resumed(text: &str, max_row: u64) -> (Result<DoneRows, String>, String, Vec<String>) {
        let path = std::env::temp_dir().join(format!(
            "dd-report-{}-{}.jsonl",
            std::process::id(),
            text.len()
        ));
        std::fs::write(&path, text).unwrap();
        let notices = std::cell::RefCell::new(Vec::new());
        let done = Report::resume(&path, max_row, |n| notices.borrow_mut().push(n.to_owned()))
            .map(|(_, done)| done)
            .map_err(|f| f.message);
        let after = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        (done, after, notices.into_inner())
    }

    const WHOLE: &str = "{\"row\":1,\"identifier\":\"a\",\"status\":\"created\"}\n{\"row\":2,\"identifier\":\"b\",\"status\":\"failed\",\"error\":\"x\"}\n{\"row\":700,\"identifier\":\"c\",\"status\":\"updated\"}\n";

    #[test]
    fn done_rows_come_from_successes_and_a_torn_line_is_cut_off() {
        let (done, after, notices) = resumed(&format!("{WHOLE}{{\"row\":3,\"ident"), 1000);
        let done = done.unwrap();
        assert!(done.contains(1) && done.contains(700));
        assert!(!done.contains(2) && !done.contains(3) && !done.contains(64));
        assert_eq!(
            after, WHOLE,
            "the torn line is gone; appends start on a fresh line"
        );
        assert!(
            notices[0].contains("cut off a torn last line"),
            "{notices:?}"
        );
    }

    #[test]
    fn a_whole_line_missing_its_newline_is_finished() {
        let last = "{\"row\":4,\"identifier\":\"d\",\"status\":\"created\"}";
        let (done, after, notices) = resumed(&format!("{WHOLE}{last}"), 1000);
        assert!(done.unwrap().contains(4));
        assert_eq!(after, format!("{WHOLE}{last}\n"));
        assert!(notices[0].contains("finished it"), "{notices:?}");
    }

    #[test]
    fn foreign_lines_and_rows_beyond_the_input_are_refused() {
        let (done, after, _) = resumed(&format!("garbage\n{WHOLE}"), 1000);
        let message = done.unwrap_err();
        assert!(
            message.contains("line 1 is not a sync report line"),
            "{message}"
        );
        assert!(
            after.starts_with("garbage"),
            "a refused report is left as it was"
        );
        let (done, _, _) = resumed(
            "{\"row\":99999999999999,\"identifier\":\"a\",\"status\":\"created\"}\n",
            1200,
        );
        let message = done.unwrap_err();
        assert!(
            message.contains("row 99999999999999, but the input has at most 1200 rows"),
            "{message}"
        );
    }
}
