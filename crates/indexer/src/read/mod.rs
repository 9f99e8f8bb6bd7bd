//! Readers for the input formats: JSON Lines, CSV and XLSX.
//!
//! Each reader turns its rows into [`RawRecord`]s — a JSON object with the row's line number —
//! so that one validator serves all formats. Problems that belong to a row (invalid UTF-8,
//! a line that is not a JSON object, a record over the size limit) come out as
//! [`RecordError`]s in the stream, and reading goes on with the next row; problems with the
//! whole file (cannot open, not a spreadsheet) are [`IndexerError`]s.

mod csv_rows;
mod jsonl;
mod xlsx;

use std::path::Path;

use serde_json::{Map, Value};

use crate::error::{IndexerError, RecordError, Result};

/// One row of input, before validation.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRecord {
    /// Line (JSONL), first line of the record (CSV) or row (XLSX), 1-based.
    pub line: usize,
    /// The fields as given.
    pub fields: Map<String, Value>,
    /// True when values came from text cells (CSV/XLSX): lists are `;`-separated strings and
    /// numbers may be written as text.
    pub from_cells: bool,
}

/// Limits applied while reading.
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions {
    /// Largest accepted record, in bytes of input.
    pub max_record_bytes: usize,
    /// The CSV cell separator; `None` detects it from the header row (`,`, `;` as Excel
    /// writes on a Vietnamese-locale Windows, or a tab).
    pub delimiter: Option<u8>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_record_bytes: 1 << 20,
            delimiter: None,
        }
    }
}

/// A stream of rows or row errors.
pub type RawRecords = Box<dyn Iterator<Item = Result<RawRecord, RecordError>> + Send>;

/// The input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line.
    Jsonl,
    /// Comma-, semicolon- or tab-separated values with a header row.
    Csv,
    /// An Excel workbook; the first sheet is read.
    Xlsx,
}

impl Format {
    /// The format of a file, from its extension.
    pub fn of_path(path: &Path) -> Result<Format> {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("jsonl" | "ndjson" | "json") => Ok(Format::Jsonl),
            Some("csv") => Ok(Format::Csv),
            Some("xlsx" | "xlsm") => Ok(Format::Xlsx),
            _ => Err(IndexerError::UnsupportedFormat {
                path: path.to_path_buf(),
            }),
        }
    }
}

/// Opens a file and returns its rows.
pub fn read_raw(path: &Path, options: ReadOptions) -> Result<RawRecords> {
    let name = path.display().to_string();
    match Format::of_path(path)? {
        Format::Jsonl => {
            let file = std::fs::File::open(path).map_err(|source| IndexerError::Input {
                path: path.to_path_buf(),
                source,
            })?;
            Ok(Box::new(jsonl::JsonlRows::new(name, file, options)))
        }
        Format::Csv => {
            let file = std::fs::File::open(path).map_err(|source| IndexerError::Input {
                path: path.to_path_buf(),
                source,
            })?;
            Ok(Box::new(csv_rows::csv_rows(name, file, options)))
        }
        Format::Xlsx => xlsx::xlsx_rows(path, options),
    }
}

/// Reads JSON Lines from any reader (used for HTTP bodies and tests).
pub fn read_jsonl<R: std::io::Read + Send + 'static>(
    name: &str,
    reader: R,
    options: ReadOptions,
) -> RawRecords {
    Box::new(jsonl::JsonlRows::new(name.to_string(), reader, options))
}

/// Reads CSV from any reader.
pub fn read_csv<R: std::io::Read + Send + 'static>(
    name: &str,
    reader: R,
    options: ReadOptions,
) -> RawRecords {
    Box::new(csv_rows::csv_rows(name.to_string(), reader, options))
}

/// Builds a row from header names and text cells: empty cells are left out.
fn row_from_cells(header: &[String], cells: impl Iterator<Item = Value>, line: usize) -> RawRecord {
    let mut fields = Map::new();
    for (name, value) in header.iter().zip(cells) {
        let empty = match &value {
            Value::Null => true,
            Value::String(s) => s.trim().is_empty(),
            _ => false,
        };
        if !name.is_empty() && !empty {
            fields.insert(name.clone(), value);
        }
    }
    RawRecord {
        line,
        fields,
        from_cells: true,
    }
}

/// Normalises a header cell: trimmed, lowercase, BOM removed.
fn header_name(cell: &str) -> String {
    cell.trim_start_matches('\u{feff}').trim().to_lowercase()
}

/// Checks a header row: no duplicate names.
fn check_header(file: &str, header: &[String]) -> Result<(), RecordError> {
    for (i, name) in header.iter().enumerate() {
        if !name.is_empty() && header[..i].contains(name) {
            return Err(RecordError::line(
                file,
                1,
                format!("column '{name}' appears twice in the header row"),
            ));
        }
    }
    Ok(())
}
