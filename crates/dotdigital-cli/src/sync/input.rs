//! Reading sync rows one at a time from CSV or JSONL, so memory stays flat on
//! any file size.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use dotdigital_contacts::types;
use dotdigital_contacts::{
    ContactsClient, DataFields, Identifier, ImportContact, ImportRequestExt,
};
use serde_json::Value;

use super::csv_cells::{self, Cells};
use crate::field_values::{self, FieldType};

/// The input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Comma-separated, with a header row.
    Csv,
    /// One JSON request body per line.
    Jsonl,
}

impl Format {
    /// `explicit` if given, else from the extension: `.jsonl`/`.ndjson` are
    /// JSONL, anything else (stdin included) CSV.
    pub fn of(path: &Path, explicit: Option<Format>) -> Format {
        explicit.unwrap_or(match path.extension().and_then(|e| e.to_str()) {
            Some("jsonl" | "ndjson") => Format::Jsonl,
            _ => Format::Csv,
        })
    }
}

/// One input row, ready to import or already known to be bad.
#[derive(Debug)]
pub struct Row {
    /// 1-based: the data row of a CSV (header excluded), the line of a JSONL file.
    pub number: u64,
    /// The identifier's value, for the report (empty when unknown).
    pub key: String,
    /// What to import, or why the row cannot be imported.
    pub import: Result<RowImport, String>,
}

/// One row read into the wrapper's own values: the identifier it is looked
/// up by, the body (identifiers, lists, and for JSONL everything else), and
/// a CSV row's data fields as the wrapper's values, with no JSON between.
#[derive(Debug)]
pub struct RowImport {
    pub identifier: Identifier,
    pub body: types::ImportContactRequest,
    pub data_fields: DataFields,
}

impl RowImport {
    /// The wrapper's import of this row: the one place a row becomes one.
    pub fn import(
        self,
        client: &ContactsClient,
        merge_option: types::MergeOption,
    ) -> Result<ImportContact<'_>, dotdigital_contacts::Error> {
        client
            .import_contact(self.identifier)
            .merge_option(merge_option)
            .data_fields(&self.data_fields)
            .apply(self.body)
    }
}

/// A stream of rows.
pub enum Source {
    Csv {
        records: csv_cells::Records,
        columns: Vec<Column>,
        key: usize,
        identifier: String,
        clear_marker: String,
        number: u64,
    },
    Jsonl {
        lines: std::io::Lines<BufReader<Box<dyn Read + Send>>>,
        identifier: String,
        number: u64,
    },
}

/// What a CSV column holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    Email,
    MobileNumber,
    ContactId,
    Custom(String),
    Lists,
    DataField(String, FieldType),
}

impl Column {
    fn from_header(header: &str) -> Result<Self, String> {
        Ok(match header.trim() {
            "email" => Column::Email,
            "mobileNumber" => Column::MobileNumber,
            "contactId" => Column::ContactId,
            "lists" => Column::Lists,
            other => match other.strip_prefix("identifier.") {
                Some(name) => Column::Custom(name.to_owned()),
                None => {
                    let (name, kind) = field_values::parse_name(other)?;
                    Column::DataField(name, kind)
                }
            },
        })
    }

    /// What the column sets, for finding repeated ones: data field names
    /// compare case-insensitively, as Dotdigital's do.
    fn target(&self) -> String {
        match self {
            Column::Email => "email".to_owned(),
            Column::MobileNumber => "mobileNumber".to_owned(),
            Column::ContactId => "contactId".to_owned(),
            Column::Lists => "lists".to_owned(),
            Column::Custom(name) => format!("identifier.{name}"),
            Column::DataField(name, _) => name.to_uppercase(),
        }
    }

    fn is_key_for(&self, identifier: &str) -> bool {
        match self {
            Column::Email => identifier == "email",
            Column::MobileNumber => identifier == "mobileNumber",
            Column::ContactId => identifier == "contactId",
            Column::Custom(name) => name == identifier,
            _ => false,
        }
    }
}

impl Source {
    /// Opens `path` (`-` for stdin) as `format`.
    pub fn open(
        path: &Path,
        format: Format,
        identifier: &str,
        clear_marker: &str,
    ) -> Result<Self, String> {
        let stdin = path.as_os_str() == "-";
        let reader: Box<dyn Read + Send> = if stdin {
            Box::new(std::io::stdin())
        } else {
            Box::new(File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?)
        };
        match format {
            Format::Jsonl => Ok(Source::Jsonl {
                lines: BufReader::new(reader).lines(),
                identifier: identifier.to_owned(),
                number: 0,
            }),
            Format::Csv => {
                let mut records = csv_cells::Records::new(reader);
                let headers = records
                    .headers()
                    .map_err(|e| format!("{}: cannot read the CSV header: {e}", path.display()))?;
                let columns = headers
                    .iter()
                    .map(Column::from_header)
                    .collect::<Result<Vec<_>, _>>()?;
                check_repeated(&headers, &columns)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                let key = columns
                    .iter()
                    .position(|c| c.is_key_for(identifier))
                    .ok_or_else(|| {
                        let wanted = if matches!(identifier, "email" | "mobileNumber" | "contactId")
                        {
                            identifier.to_owned()
                        } else {
                            format!("identifier.{identifier}")
                        };
                        format!(
                            "{}: no column {wanted:?} for --identifier {identifier}",
                            path.display()
                        )
                    })?;
                Ok(Source::Csv {
                    records,
                    columns,
                    key,
                    identifier: identifier.to_owned(),
                    clear_marker: clear_marker.to_owned(),
                    number: 0,
                })
            }
        }
    }

    /// The next row, or `None` at the end of the input.
    pub fn next_row(&mut self) -> Option<Row> {
        match self {
            Source::Csv {
                records,
                columns,
                key,
                identifier,
                clear_marker,
                number,
            } => {
                let record = records.next()?;
                *number += 1;
                Some(match record {
                    Ok(record) if record.len() != columns.len() => Row {
                        number: *number,
                        key: record.get(*key).unwrap_or("").to_owned(),
                        import: Err(format!(
                            "the row has {} cells but the header has {} columns (a stray comma, or a cell that needed quotes?); nothing was sent for it",
                            record.len(),
                            columns.len()
                        )),
                    },
                    Ok(record) => {
                        let key_value = record.get(*key).unwrap_or("").to_owned();
                        let import = csv_row(&record, columns, clear_marker).and_then(
                            |(body, data_fields)| {
                                if key_value.is_empty() {
                                    return Err(format!("the {identifier} cell is empty"));
                                }
                                Ok(RowImport {
                                    identifier: Identifier::from_name(
                                        identifier,
                                        key_value.as_str(),
                                    )
                                    .map_err(|e| e.to_string())?,
                                    body,
                                    data_fields,
                                })
                            },
                        );
                        Row {
                            number: *number,
                            key: key_value,
                            import,
                        }
                    }
                    Err(e) => Row {
                        number: *number,
                        key: String::new(),
                        import: Err(format!("unreadable CSV row: {e}")),
                    },
                })
            }
            Source::Jsonl {
                lines,
                identifier,
                number,
            } => loop {
                let line = lines.next()?;
                *number += 1;
                match line {
                    Ok(line) if line.trim().is_empty() => continue,
                    Ok(line) => return Some(jsonl_row(*number, &line, identifier)),
                    Err(e) => {
                        return Some(Row {
                            number: *number,
                            key: String::new(),
                            import: Err(format!("unreadable line: {e}")),
                        });
                    }
                }
            },
        }
    }
}

/// A column named twice would leave one cell silently unused (or, for an
/// identifier, send one value in the path and another in the body).
fn check_repeated(headers: &csv::StringRecord, columns: &[Column]) -> Result<(), String> {
    let mut first_at = std::collections::HashMap::new();
    let mut repeats = Vec::new();
    for (index, column) in columns.iter().enumerate() {
        if let Some(first) = first_at.insert(column.target(), index) {
            first_at.insert(column.target(), first);
            repeats.push(format!(
                "{:?} (column {}) and {:?} (column {})",
                headers.get(first).unwrap_or(""),
                first + 1,
                headers.get(index).unwrap_or(""),
                index + 1
            ));
        }
    }
    if repeats.is_empty() {
        return Ok(());
    }
    Err(format!(
        "repeated column{}: {}; each column must appear once, nothing was sent",
        if repeats.len() == 1 { "" } else { "s" },
        repeats.join(", ")
    ))
}

fn csv_row(
    record: &Cells,
    columns: &[Column],
    clear_marker: &str,
) -> Result<(types::ImportContactRequest, DataFields), String> {
    let mut body = types::ImportContactRequest::default();
    let mut data_fields = DataFields::new();
    for (column, cell) in columns.iter().zip(record.iter()) {
        if cell.is_empty() {
            continue;
        }
        match column {
            // Checked once, by the wrapper's rule for the identifier.
            Column::Email => identifier(&mut body, "email", cell)?,
            Column::MobileNumber => identifier(&mut body, "mobileNumber", cell)?,
            Column::Custom(name) => identifier(&mut body, name, cell)?,
            Column::ContactId => {}
            Column::Lists => {
                for id in cell.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                    body.lists.push(
                        id.parse()
                            .map_err(|_| format!("lists: {id:?} is not a list id"))?,
                    );
                }
            }
            Column::DataField(name, _) if cell == clear_marker => {
                data_fields.clear(name.clone());
            }
            Column::DataField(name, kind) => {
                data_fields.set(name.clone(), field_values::typed(name, *kind, cell)?);
            }
        }
    }
    Ok((body, data_fields))
}

/// Sets the identifier `name` of the body; an email or mobile number is
/// checked by the wrapper's rule for it, the error naming the column.
fn identifier(
    body: &mut types::ImportContactRequest,
    name: &str,
    cell: &str,
) -> Result<(), String> {
    body.set_identifier(name, cell).map_err(|e| match e {
        dotdigital_contacts::Error::Validation { reason, .. } => format!("{name}: {reason}"),
        other => format!("{name}: {other}"),
    })
}

fn jsonl_row(number: u64, line: &str, identifier: &str) -> Row {
    let parsed = serde_json::from_str::<Value>(line).map_err(|e| format!("not JSON: {e}"));
    let key = parsed
        .as_ref()
        .ok()
        .and_then(|v| match identifier {
            "contactId" => v.get("contactId").map(|id| id.to_string()),
            "email" | "mobileNumber" => v
                .pointer(&format!("/identifiers/{identifier}"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            custom => v
                .get("identifiers")
                .and_then(|i| i.get(custom))
                .and_then(Value::as_str)
                .map(str::to_owned),
        })
        .unwrap_or_default();
    let import = parsed.and_then(|mut value| {
        if let Some(object) = value.as_object_mut() {
            object.remove("contactId");
        }
        let body = import_body(value).map_err(|e| format!("not an import body: {e}"))?;
        if key.is_empty() {
            return Err(format!("no {identifier} identifier in the row"));
        }
        Ok(RowImport {
            identifier: Identifier::from_name(identifier, key.as_str())
                .map_err(|e| e.to_string())?,
            body,
            data_fields: DataFields::new(),
        })
    });
    Row {
        number,
        key,
        import,
    }
}

/// Reads an import request body (a JSONL row, a `--json` file) into the
/// generated request type, strictly (the wrapper's [`json`](dotdigital_contacts::json)
/// reader): a key the spec does not have, at any depth, is an error that
/// names it, since with a typo (`dataField`) nothing would be imported.
pub fn import_body(json: Value) -> Result<types::ImportContactRequest, String> {
    dotdigital_contacts::json::import_request_from_value(json).map_err(|e| e.to_string())
}

/// What a report records of its input: size and content hash, and the
/// number of lines (no row number can be larger).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub bytes: u64,
    pub fnv1a64: u64,
    pub lines: u64,
}

/// Whether `path` can be read twice: a regular file, not stdin, a pipe or a
/// process substitution (reading those ahead would consume the rows).
fn rereadable(path: &Path) -> bool {
    path.as_os_str() != "-" && std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

/// The input file's identity, read in one pass; `None` for stdin or a pipe,
/// which cannot be read twice.
pub fn identity(path: &Path) -> Result<Option<Identity>, String> {
    let cannot = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    if path.as_os_str() == "-" || !std::fs::metadata(path).map_err(cannot)?.is_file() {
        return Ok(None);
    }
    let mut file = File::open(path).map_err(cannot)?;
    let (mut bytes, mut hash, mut newlines, mut last) = (0u64, FNV_OFFSET, 0u64, b'\n');
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(cannot(e)),
        };
        for &byte in &buffer[..read] {
            hash = (hash ^ u64::from(byte)).wrapping_mul(FNV_PRIME);
            newlines += u64::from(byte == b'\n');
        }
        bytes += read as u64;
        last = buffer[read - 1];
    }
    Ok(Some(Identity {
        bytes,
        fnv1a64: hash,
        lines: newlines + u64::from(last != b'\n'),
    }))
}

/// FNV-1a, 64 bits: simple, stable across versions and platforms, and
/// enough to tell one input from another (not an adversary's collision).
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Counts the data rows of a regular file cheaply, for the progress bar's ETA
/// (a quoted newline inside a CSV cell makes it an estimate).
pub fn count_rows(path: &Path, format: Format) -> Option<u64> {
    if !rereadable(path) {
        return None;
    }
    let lines = BufReader::new(File::open(path).ok()?)
        .split(b'\n')
        .filter(|l| l.as_ref().is_ok_and(|l| !l.trim_ascii().is_empty()))
        .count() as u64;
    Some(if format == Format::Csv {
        lines.saturating_sub(1)
    } else {
        lines
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows(csv: &str, identifier: &str) -> Vec<Row> {
        let dir = std::env::temp_dir().join(format!(
            "dd-input-{}-{}",
            std::process::id(),
            fastish_hash(csv)
        ));
        std::fs::write(&dir, csv).unwrap();
        let mut source = Source::open(&dir, Format::Csv, identifier, "#CLEAR").unwrap();
        let mut out = Vec::new();
        while let Some(row) = source.next_row() {
            out.push(row);
        }
        std::fs::remove_file(&dir).unwrap();
        out
    }

    fn fastish_hash(s: &str) -> u64 {
        s.bytes().fold(1469598103934665603u64, |h, b| {
            (h ^ b as u64).wrapping_mul(1099511628211)
        })
    }

    #[test]
    fn csv_columns_map_to_identifiers_lists_and_typed_data_fields() {
        let rows = rows(
            "email,mobileNumber,identifier.crmId,lists,FIRSTNAME,AGE:number,POSTCODE\nann@example.com,447123123123,A-1,1;2,Ann,36,#CLEAR\nbob@example.com,,,,,,\n",
            "email",
        );
        let row = rows[0].import.as_ref().unwrap();
        assert_eq!(row.identifier, Identifier::email("ann@example.com"));
        assert_eq!(
            serde_json::to_value(&row.body).unwrap(),
            json!({"identifiers": {"email": "ann@example.com", "mobileNumber": "447123123123", "crmId": "A-1"}, "lists": [1, 2]})
        );
        let mut fields = DataFields::new();
        fields
            .set("FIRSTNAME", "Ann")
            .set("AGE", 36)
            .clear("POSTCODE");
        assert_eq!(
            row.data_fields, fields,
            "data fields as the wrapper's values"
        );
        let row = rows[1].import.as_ref().unwrap();
        assert_eq!(
            serde_json::to_value(&row.body).unwrap(),
            json!({"identifiers": {"email": "bob@example.com"}}),
            "empty cells stay untouched"
        );
        assert!(row.data_fields.is_empty());
    }

    #[test]
    fn a_row_of_another_length_than_the_header_fails_with_both_counts() {
        let rows = rows(
            "email,FIRSTNAME,LASTNAME\nshift@example.com,John, Jr,Smith\nshort@example.com,Ann\nok@example.com,A,B\n",
            "email",
        );
        assert_eq!(rows.len(), 3);
        let error = rows[0].import.as_ref().unwrap_err();
        assert!(
            error.contains("the row has 4 cells but the header has 3 columns"),
            "{error}"
        );
        assert_eq!(rows[0].key, "shift@example.com", "the report names the row");
        assert!(
            rows[1]
                .import
                .as_ref()
                .unwrap_err()
                .contains("2 cells but the header has 3")
        );
        assert!(rows[2].import.is_ok());
    }

    #[test]
    fn a_repeated_column_is_refused_naming_both() {
        let path = std::env::temp_dir().join(format!("dd-input-{}-repeated", std::process::id()));
        for (header, named) in [
            (
                "email,FIRSTNAME,FIRSTNAME",
                "\"FIRSTNAME\" (column 2) and \"FIRSTNAME\" (column 3)",
            ),
            (
                "email,FIRSTNAME,email",
                "\"email\" (column 1) and \"email\" (column 3)",
            ),
            (
                "email,AGE:number,age",
                "\"AGE:number\" (column 2) and \"age\" (column 3)",
            ),
        ] {
            std::fs::write(&path, format!("{header}\na@example.com,1,2\n")).unwrap();
            let error = Source::open(&path, Format::Csv, "email", "#CLEAR")
                .err()
                .unwrap();
            assert!(
                error.contains(&format!("repeated column: {named}")),
                "{error}"
            );
        }
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn bad_rows_are_errors_not_panics() {
        let rows = rows("email,AGE:number\n,3\nann@example.com,old\n", "email");
        assert_eq!(rows.len(), 2);
        assert!(
            rows[0]
                .import
                .as_ref()
                .unwrap_err()
                .contains("email cell is empty")
        );
        assert!(
            rows[1]
                .import
                .as_ref()
                .unwrap_err()
                .contains("not a number")
        );
    }
}
