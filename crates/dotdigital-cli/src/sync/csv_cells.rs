//! CSV records with the rule for spaces: a quoted cell is kept as it is, an
//! unquoted one is trimmed. The `csv` crate drops the quotes, so the raw
//! bytes of each record are kept (a tee on the input) and scanned for
//! which cells began with a quote, only when a cell has spaces to trim.

use std::io::Read;
use std::sync::{Arc, Mutex, PoisonError};

/// The records of a CSV input.
pub struct Records {
    reader: csv::Reader<Tee>,
    seen: Arc<Mutex<Seen>>,
}

/// One record and which of its cells were quoted.
pub struct Cells {
    pub record: csv::StringRecord,
    /// `None` when no cell has surrounding spaces (nothing to decide).
    quoted: Option<Vec<bool>>,
}

impl Cells {
    pub fn len(&self) -> usize {
        self.record.len()
    }

    /// Cell `index`: as it is when quoted, trimmed otherwise.
    pub fn get(&self, index: usize) -> Option<&str> {
        let cell = self.record.get(index)?;
        let quoted = self
            .quoted
            .as_ref()
            .and_then(|q| q.get(index).copied())
            .unwrap_or(false);
        Some(if quoted { cell } else { cell.trim() })
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

impl Records {
    /// Reads `input`, whose header the caller reads with [`headers`](Self::headers).
    pub fn new(input: Box<dyn Read + Send>) -> Self {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let tee = Tee {
            inner: input,
            seen: seen.clone(),
        };
        // Rows of any length are read: the caller fails those that differ
        // from the header, with both counts.
        let reader = csv::ReaderBuilder::new().flexible(true).from_reader(tee);
        Records { reader, seen }
    }

    pub fn headers(&mut self) -> csv::Result<csv::StringRecord> {
        self.reader.headers().cloned()
    }

    pub fn next(&mut self) -> Option<csv::Result<Cells>> {
        let mut record = csv::StringRecord::new();
        match self.reader.read_record(&mut record) {
            Ok(false) => None,
            Ok(true) => {
                let end = self.reader.position().byte();
                let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
                let spaced = record.iter().any(|cell| cell.trim().len() != cell.len());
                let quoted = match record.position() {
                    Some(start) if spaced => Some(quoted_cells(seen.slice(start.byte(), end))),
                    _ => None,
                };
                seen.release(end);
                // A scan that disagrees with the parser (it should not) is
                // not trusted: the cells are trimmed as before.
                let quoted = quoted.filter(|q| q.len() == record.len());
                Some(Ok(Cells { record, quoted }))
            }
            Err(e) => Some(Err(e)),
        }
    }
}

/// The input bytes read and not yet released, from offset `start`.
#[derive(Default)]
struct Seen {
    bytes: Vec<u8>,
    start: u64,
    /// Bytes before this offset are no longer needed.
    released: u64,
}

impl Seen {
    fn slice(&self, from: u64, to: u64) -> &[u8] {
        let at = |offset: u64| {
            usize::try_from(offset.saturating_sub(self.start))
                .unwrap_or(usize::MAX)
                .min(self.bytes.len())
        };
        &self.bytes[at(from)..at(to)]
    }

    /// Drops what was released, in large steps: not a copy per row.
    fn release(&mut self, to: u64) {
        self.released = to;
        let done = usize::try_from(to.saturating_sub(self.start))
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        if done >= 64 * 1024 {
            self.bytes.drain(..done);
            self.start += done as u64;
        }
    }
}

/// Keeps a copy of what the CSV reader reads (it reads in large blocks).
struct Tee {
    inner: Box<dyn Read + Send>,
    seen: Arc<Mutex<Seen>>,
}

impl Read for Tee {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .bytes
            .extend_from_slice(&buf[..read]);
        Ok(read)
    }
}

/// For each cell of one raw record, whether it began with a quote, by the
/// `csv` crate's default rules: a quote opens a quoted cell only as its
/// first byte, `""` inside is a quote, and the cell ends at a comma or the
/// line's end outside quotes.
fn quoted_cells(raw: &[u8]) -> Vec<bool> {
    let raw = raw.trim_ascii_start();
    let mut flags = Vec::new();
    let mut i = 0;
    loop {
        let quoted = raw.get(i) == Some(&b'"');
        flags.push(quoted);
        if quoted {
            i += 1;
            loop {
                match raw.get(i) {
                    None => return flags,
                    Some(b'"') if raw.get(i + 1) == Some(&b'"') => i += 2,
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
        }
        loop {
            match raw.get(i) {
                None | Some(b'\n' | b'\r') => return flags,
                Some(b',') => {
                    i += 1;
                    break;
                }
                Some(_) => i += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(text: &'static str) -> Vec<Vec<String>> {
        let mut records = Records::new(Box::new(text.as_bytes()));
        records.headers().unwrap_or_default();
        let mut out = Vec::new();
        while let Some(Ok(cells)) = records.next() {
            out.push(cells.iter().map(str::to_owned).collect());
        }
        out
    }

    #[test]
    fn quoted_cells_keep_their_spaces_and_unquoted_are_trimmed() {
        assert_eq!(
            cells("a,b,c\n  x  ,\" y \",\"a \"\" b, \"\n\n\" p\",q ,\"r\"\"\"\r\n"),
            [vec!["x", " y ", "a \" b, "], vec![" p", "q", "r\""],]
        );
        assert_eq!(quoted_cells(b"\"a\",b,\"\"\n"), [true, false, true]);
        assert_eq!(quoted_cells(b"a, \"b\"\n"), [false, false]);
    }

    #[test]
    fn the_kept_bytes_stay_small_on_a_long_input() {
        let mut text = String::from("email,NAME\n");
        for i in 0..20_000 {
            text.push_str(&format!("c{i}@example.com,\" n{i} \"\n"));
        }
        let mut records = Records::new(Box::new(std::io::Cursor::new(text.into_bytes())));
        records.headers().unwrap_or_default();
        let mut last = None;
        while let Some(Ok(cells)) = records.next() {
            last = cells.get(1).map(str::to_owned);
        }
        assert_eq!(last.as_deref(), Some(" n19999 "));
        let seen = records.seen.lock().unwrap_or_else(PoisonError::into_inner);
        assert!(seen.bytes.len() < 128 * 1024, "{}", seen.bytes.len());
    }
}
