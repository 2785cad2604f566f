//! The sync report: one JSON line per input row, written as each row
//! finishes, and read back by `--resume`.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::failures::Reason;
use super::input::{Format, Identity};
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
    /// For failures: the class the summary counts (the error says it whole).
    #[serde(skip)]
    pub reason: Option<Reason>,
}

impl Line {
    /// A row created, updated or found valid.
    pub fn done(row: u64, identifier: String, status: Status, contact_id: Option<i64>) -> Self {
        Line {
            row,
            identifier,
            status,
            contact_id,
            error: None,
            delivery: None,
            reason: None,
        }
    }
}

/// The report's first line: what the rows were read from, so that `--resume`
/// can refuse another input instead of skipping rows by number alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MadeFrom {
    /// The input's path as given (`-` for stdin); informative only.
    input: String,
    /// The input's size and FNV-1a hash (none for stdin).
    bytes: Option<u64>,
    fnv1a64: Option<String>,
    /// The options that turn the input's lines into rows.
    format: String,
    identifier: String,
    clear_marker: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Header {
    made_from: MadeFrom,
}

impl MadeFrom {
    pub fn new(
        input: &Path,
        identity: Option<&Identity>,
        format: Format,
        identifier: &str,
        clear_marker: &str,
    ) -> Self {
        MadeFrom {
            input: input.display().to_string(),
            bytes: identity.map(|i| i.bytes),
            fnv1a64: identity.map(|i| format!("{:016x}", i.fnv1a64)),
            format: match format {
                Format::Csv => "csv",
                Format::Jsonl => "jsonl",
            }
            .to_owned(),
            identifier: identifier.to_owned(),
            clear_marker: clear_marker.to_owned(),
        }
    }

    /// What differs between the report's input and this one, if anything.
    fn changes(&self, now: &MadeFrom) -> Vec<String> {
        let mut changes = Vec::new();
        if (self.bytes, &self.fnv1a64) != (now.bytes, &now.fnv1a64) {
            let content = |m: &MadeFrom| match (m.bytes, &m.fnv1a64) {
                (Some(bytes), Some(hash)) => format!("{bytes} bytes, FNV-1a {hash}"),
                _ => "stdin, not known".to_owned(),
            };
            changes.push(format!(
                "the input's content: {} ({}) then, {} ({}) now",
                self.input,
                content(self),
                now.input,
                content(now)
            ));
        }
        for (option, then, now) in [
            ("--format", &self.format, &now.format),
            ("--identifier", &self.identifier, &now.identifier),
            ("--clear-marker", &self.clear_marker, &now.clear_marker),
        ] {
            if then != now {
                changes.push(format!("{option}: {then:?} then, {now:?} now"));
            }
        }
        changes
    }
}

/// What a resumed report says about the rows.
#[derive(Debug, Default)]
pub struct Resumed {
    /// Created or updated: skipped.
    pub done: DoneRows,
    /// Failed, but a later row for the same contact is done: sending them
    /// now would undo it, so they fail again, not sent.
    pub superseded: DoneRows,
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

    /// A new report, its first line saying what it is made from; an
    /// existing one is refused (it belongs to another run).
    pub fn create(path: &Path, made: &MadeFrom) -> Result<Self, Failure> {
        if path.exists() {
            return Err(Failure::usage(format!(
                "{} exists: pass --resume to continue that sync, or remove it",
                path.display()
            )));
        }
        let mut report = Self::append_to(path)?;
        report.write_header(made)?;
        Ok(report)
    }

    fn write_header(&mut self, made: &MadeFrom) -> Result<(), Failure> {
        let header = Header {
            made_from: made.clone(),
        };
        serde_json::to_writer(&mut self.pending, &header)
            .map_err(|e| Failure::new(Exit::Failed, e.to_string()))?;
        self.pending.push(b'\n');
        self.flush()
    }

    /// The report of an interrupted sync, to continue. Its first line must
    /// name this input (same content, same options): row numbers of another
    /// input would skip the wrong rows. Its torn last line (a crash in the
    /// middle of a write) is cut off, or finished with a newline when it is
    /// whole, and `notice` is told which. Any other unreadable line, or a row
    /// beyond `max_row`, is an error.
    pub fn resume(
        path: &Path,
        made: &MadeFrom,
        max_row: u64,
        notice: impl Fn(&str),
    ) -> Result<(Self, Resumed), Failure> {
        let name = path.display();
        let cannot = |e: std::io::Error| Failure::usage(format!("cannot read {name}: {e}"));
        let mut file = match OpenOptions::new().read(true).write(true).open(path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Self::create(path, made)?, Resumed::default()));
            }
            // Readable but not writable (read-only file or file system):
            // say so, rather than "cannot read".
            Err(e) if File::open(path).is_ok() => {
                return Err(Failure::usage(format!(
                    "cannot write {name} (--resume appends to it): {e}"
                )));
            }
            Err(e) => return Err(cannot(e)),
        };
        if file.metadata().map_err(cannot)?.len() == 0 {
            drop(file);
            let mut report = Self::append_to(path)?;
            report.write_header(made)?;
            return Ok((report, Resumed::default()));
        }
        let mut reader = BufReader::new(&mut file);
        let mut whole_bytes = check_header(&mut reader, path, made)?;
        let mut scan = Scan::default();
        let (mut number, mut text) = (1u64, Vec::new());
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
            scan.add(&line);
            whole_bytes += read as u64;
        }
        drop(reader);
        match torn {
            Some((_, Some(line))) if line.row > 0 && line.row <= max_row => {
                file.seek(SeekFrom::End(0))
                    .and_then(|_| file.write_all(b"\n"))
                    .map_err(cannot)?;
                scan.add(&line);
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
        Ok((Self::append_to(path)?, scan.resumed))
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

/// Reads the report's first line and refuses it unless it names this input;
/// returns the line's length in bytes.
fn check_header(reader: &mut impl BufRead, path: &Path, made: &MadeFrom) -> Result<u64, Failure> {
    let name = path.display();
    let mut first = Vec::new();
    reader
        .read_until(b'\n', &mut first)
        .map_err(|e| Failure::usage(format!("cannot read {name}: {e}")))?;
    let header = serde_json::from_slice::<Header>(&first).map_err(|_| {
        Failure::usage(format!(
            "{name} line 1 does not say which input the report was made from (not a sync report, or one from before reports recorded it); --resume needs the report this input's sync wrote"
        ))
    })?;
    let changes = header.made_from.changes(made);
    if changes.is_empty() {
        return Ok(first.len() as u64);
    }
    Err(Failure::usage(format!(
        "{name} was made from another input, so its row numbers are not this input's rows; what changed: {}. Resume with the input it was made from, or start again with a new --report",
        changes.join("; ")
    )))
}

/// The report's lines so far, in the order they were written.
#[derive(Default)]
struct Scan {
    resumed: Resumed,
    /// Failed rows by identifier, until a later row for it is done.
    failed: HashMap<String, Vec<u64>>,
}

impl Scan {
    /// A row of a contact is recorded only after the earlier rows of that
    /// contact were (they run in file order), so a failed row whose contact
    /// has a later row done is seen before that row.
    fn add(&mut self, line: &Line) {
        match line.status {
            Status::Created | Status::Updated => {
                self.resumed.done.insert(line.row);
                if let Some(rows) = self.failed.get_mut(&line.identifier) {
                    rows.retain(|&row| {
                        let earlier = row < line.row;
                        if earlier {
                            self.resumed.superseded.insert(row);
                        }
                        !earlier
                    });
                }
            }
            Status::Failed if !line.identifier.is_empty() => {
                self.failed
                    .entry(line.identifier.clone())
                    .or_default()
                    .push(line.row);
            }
            Status::Failed | Status::Valid => {}
        }
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

    fn made(bytes: u64) -> MadeFrom {
        let identity = Identity {
            bytes,
            fnv1a64: 0xfeed,
            lines: 1000,
        };
        MadeFrom::new(
            Path::new("in.csv"),
            Some(&identity),
            Format::Csv,
            "email",
            "#CLEAR",
        )
    }

    fn header() -> String {
        "{\"madeFrom\":{\"input\":\"in.csv\",\"bytes\":9,\"fnv1a64\":\"000000000000feed\",\"format\":\"csv\",\"identifier\":\"email\",\"clearMarker\":\"#CLEAR\"}}\n".to_owned()
    }

    /// Resumes the report `text` (after the header of an input of 9 bytes)
    /// for an input of `made`; the text after, without the header.
    fn resumed_from(
        text: &str,
        max_row: u64,
        made: &MadeFrom,
    ) -> (Result<Resumed, String>, String, Vec<String>) {
        let path = std::env::temp_dir().join(format!(
            "dd-report-{}-{}.jsonl",
            std::process::id(),
            fastish(text)
        ));
        std::fs::write(&path, format!("{}{text}", header())).unwrap();
        let notices = std::cell::RefCell::new(Vec::new());
        let done = Report::resume(&path, made, max_row, |n| {
            notices.borrow_mut().push(n.to_owned())
        })
        .map(|(_, done)| done)
        .map_err(|f| f.message);
        let after = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        let after = after.strip_prefix(&header()).unwrap_or(&after).to_owned();
        (done, after, notices.into_inner())
    }

    fn resumed(text: &str, max_row: u64) -> (Result<DoneRows, String>, String, Vec<String>) {
        let (resumed, after, notices) = resumed_from(text, max_row, &made(9));
        (resumed.map(|r| r.done), after, notices)
    }

    fn fastish(s: &str) -> u64 {
        s.bytes().fold(1469598103934665603u64, |h, b| {
            (h ^ b as u64).wrapping_mul(1099511628211)
        })
    }

    #[test]
    fn another_input_is_refused_saying_what_changed() {
        let (resumed, after, _) = resumed_from(WHOLE, 1000, &made(10));
        let message = resumed.unwrap_err();
        assert!(
            message.contains("in.csv (9 bytes, FNV-1a 000000000000feed) then, in.csv (10 bytes"),
            "{message}"
        );
        assert_eq!(after, WHOLE, "a refused report is left as it was");
        let mobile = MadeFrom::new(
            Path::new("in.csv"),
            Some(&Identity {
                bytes: 9,
                fnv1a64: 0xfeed,
                lines: 3,
            }),
            Format::Csv,
            "mobileNumber",
            "#CLEAR",
        );
        let message = resumed_from(WHOLE, 1000, &mobile).0.unwrap_err();
        assert!(
            message.contains("--identifier: \"email\" then, \"mobileNumber\" now"),
            "{message}"
        );
    }

    #[test]
    fn a_failed_row_whose_contact_has_a_later_row_done_is_superseded() {
        let text = "{\"row\":1,\"identifier\":\"a\",\"status\":\"failed\",\"error\":\"x\"}\n{\"row\":2,\"identifier\":\"b\",\"status\":\"failed\",\"error\":\"x\"}\n{\"row\":3,\"identifier\":\"a\",\"status\":\"updated\"}\n";
        let resumed = resumed_from(text, 10, &made(9)).0.unwrap();
        assert!(resumed.superseded.contains(1));
        assert!(!resumed.superseded.contains(2), "no later row of b is done");
        assert!(resumed.done.contains(3) && !resumed.done.contains(1));
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
            message.contains("line 2 is not a sync report line"),
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
