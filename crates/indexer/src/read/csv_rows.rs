//! CSV with a header row of contract field names; list fields separated by `;`.

use std::io::Read;

use serde_json::Value;

use super::{check_header, header_name, row_from_cells, RawRecord, ReadOptions};
use crate::error::RecordError;

/// The rows of a CSV stream.
pub fn csv_rows<R: Read + Send + 'static>(
    name: String,
    reader: R,
    options: ReadOptions,
) -> impl Iterator<Item = Result<RawRecord, RecordError>> + Send {
    let csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut records = csv.into_byte_records();
    let header: Result<Vec<String>, RecordError> = match records.next() {
        None => Err(RecordError::line(
            &name,
            1,
            "empty file: expected a header row",
        )),
        Some(Err(error)) => Err(RecordError::line(
            &name,
            1,
            format!("cannot read header: {error}"),
        )),
        Some(Ok(row)) => row
            .iter()
            .map(|cell| {
                std::str::from_utf8(cell)
                    .map(header_name)
                    .map_err(|_| RecordError::line(&name, 1, "header row is not valid UTF-8"))
            })
            .collect(),
    };
    let header = header.and_then(|h| check_header(&name, &h).map(|()| h));
    let mut header_error = header.as_ref().err().cloned();
    let header = header.unwrap_or_default();
    let mut fatal = false;
    std::iter::from_fn(move || {
        if let Some(error) = header_error.take() {
            fatal = true;
            return Some(Err(error));
        }
        if fatal {
            return None;
        }
        let row = match records.next()? {
            Ok(row) => row,
            Err(error) => {
                let line = error.position().map_or(0, |p| p.line() as usize);
                if error.is_io_error() {
                    fatal = true;
                }
                return Some(Err(RecordError::line(
                    &name,
                    line,
                    format!("malformed CSV: {error}"),
                )));
            }
        };
        let line = row.position().map_or(0, |p| p.line() as usize);
        let bytes: usize = row.as_slice().len();
        if bytes > options.max_record_bytes {
            return Some(Err(RecordError::line(
                &name,
                line,
                format!(
                    "record is larger than the limit of {} bytes",
                    options.max_record_bytes
                ),
            )));
        }
        if row.len() > header.len() {
            return Some(Err(RecordError::line(
                &name,
                line,
                format!(
                    "row has {} cells but the header has {} columns",
                    row.len(),
                    header.len()
                ),
            )));
        }
        let mut cells = Vec::with_capacity(row.len());
        for (i, cell) in row.iter().enumerate() {
            match std::str::from_utf8(cell) {
                Ok(text) => cells.push(Value::String(text.to_string())),
                Err(_) => {
                    return Some(Err(RecordError::field(
                        &name,
                        line,
                        &header[i],
                        "invalid UTF-8 (save the file as UTF-8)",
                    )))
                }
            }
        }
        Some(Ok(row_from_cells(&header, cells.into_iter(), line)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_header_and_rows_with_bom() {
        let input = "\u{feff}id,title,keywords\nA1,Máy sấy,sấy;bơm nhiệt\n";
        let rows: Vec<_> =
            csv_rows("in.csv".into(), input.as_bytes(), ReadOptions::default()).collect();
        let row = rows[0].as_ref().unwrap();
        assert_eq!(row.line, 2);
        assert_eq!(row.fields["id"], "A1");
        assert_eq!(row.fields["keywords"], "sấy;bơm nhiệt");
    }

    #[test]
    fn quoted_newlines_keep_the_start_line() {
        let input = "id,title\nA1,\"two\nlines\"\nA2,x\n";
        let lines: Vec<_> = csv_rows("in.csv".into(), input.as_bytes(), ReadOptions::default())
            .map(|r| r.unwrap().line)
            .collect();
        assert_eq!(lines, vec![2, 4]);
    }

    #[test]
    fn duplicate_header_is_an_error() {
        let input = "id,title,id\n";
        let first = csv_rows("in.csv".into(), input.as_bytes(), ReadOptions::default()).next();
        assert!(first.unwrap().unwrap_err().reason.contains("appears twice"));
    }
}
