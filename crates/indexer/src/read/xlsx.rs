//! Excel workbooks: the first sheet, header in the first row.

use std::path::Path;

use calamine::{open_workbook_auto, Data, Reader};
use serde_json::Value;

use super::{check_header, header_name, row_from_cells, RawRecords, ReadOptions};
use crate::error::{IndexerError, RecordError, Result};

/// Reads the first sheet of a workbook into rows (the sheet is loaded whole; calamine does not
/// stream).
pub fn xlsx_rows(path: &Path, options: ReadOptions) -> Result<RawRecords> {
    let name = path.display().to_string();
    let spreadsheet_error = |message: String| IndexerError::Spreadsheet {
        path: path.to_path_buf(),
        message,
    };
    let mut workbook = open_workbook_auto(path).map_err(|e| spreadsheet_error(e.to_string()))?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or_else(|| spreadsheet_error("the workbook has no sheet".into()))?
        .map_err(|e| spreadsheet_error(e.to_string()))?;
    let first_row = range.start().map_or(0, |(row, _)| row as usize);
    let mut rows = range.rows();
    let header: Vec<String> = match rows.next() {
        Some(cells) => cells.iter().map(|c| header_name(&c.to_string())).collect(),
        None => {
            let error = RecordError::line(&name, 1, "empty sheet: expected a header row");
            return Ok(Box::new(std::iter::once(Err(error))));
        }
    };
    if let Err(error) = check_header(&name, &header) {
        return Ok(Box::new(std::iter::once(Err(error))));
    }
    let mut out = Vec::new();
    for (i, cells) in rows.enumerate() {
        let line = first_row + i + 2;
        if cells.iter().all(|c| matches!(c, Data::Empty)) {
            continue;
        }
        let bytes: usize = cells.iter().map(|c| c.to_string().len()).sum();
        if bytes > options.max_record_bytes {
            out.push(Err(RecordError::line(
                &name,
                line,
                format!(
                    "record is larger than the limit of {} bytes",
                    options.max_record_bytes
                ),
            )));
            continue;
        }
        let values: Vec<Value> = cells.iter().map(cell_value).collect();
        out.push(Ok(row_from_cells(&header, values.into_iter(), line)));
    }
    Ok(Box::new(out.into_iter()))
}

/// Converts one cell; dates become `YYYY-MM-DD`, whole floats become integers.
fn cell_value(cell: &Data) -> Value {
    match cell {
        Data::Empty => Value::Null,
        Data::String(s) => Value::String(s.clone()),
        Data::Int(i) => Value::from(*i),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Value::from(*f as i64),
        Data::Float(f) => Value::from(*f),
        Data::Bool(b) => Value::Bool(*b),
        Data::DateTime(dt) => match excel_date(dt.as_f64()) {
            Some(date) => Value::String(date),
            None => Value::String(dt.to_string()),
        },
        Data::DateTimeIso(s) => Value::String(s.chars().take(10).collect()),
        Data::DurationIso(s) => Value::String(s.clone()),
        Data::Error(e) => Value::String(format!("#ERROR {e:?}")),
    }
}

/// An Excel serial date (days since 1899-12-30) as `YYYY-MM-DD`.
fn excel_date(serial: f64) -> Option<String> {
    const JULIAN_DAY_1899_12_30: i32 = 2_415_019;
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let date = time::Date::from_julian_day(JULIAN_DAY_1899_12_30 + serial.floor() as i32).ok()?;
    Some(format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_serial_dates() {
        assert_eq!(excel_date(45658.0).as_deref(), Some("2025-01-01"));
        assert_eq!(excel_date(1.0).as_deref(), Some("1899-12-31"));
        assert_eq!(excel_date(-3.0), None);
    }
}
