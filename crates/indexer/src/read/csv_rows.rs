//! CSV with a header row of contract field names; list fields separated by `;`.
//!
//! The cell separator is detected from the header row unless given: `,`, `;` (what Excel
//! writes on a Windows set to a Vietnamese or other locale whose decimal separator is `,`)
//! or a tab. Line endings are read as an editor shows them (CRLF, LF, or a lone CR each
//! end one line), so every error names the line a broker sees in their editor.

use std::io::{BufRead, BufReader, Read};

use serde_json::Value;

use super::{check_header, header_name, row_from_cells, RawRecord, ReadOptions};
use crate::error::RecordError;

/// The rows of a CSV stream.
pub fn csv_rows<R: Read + Send + 'static>(
    name: String,
    reader: R,
    options: ReadOptions,
) -> impl Iterator<Item = Result<RawRecord, RecordError>> + Send {
    let mut reader = BufReader::new(Lines::new(reader));
    // The header row is read ahead to choose the separator, then parsed with the rest.
    let mut header_row = Vec::new();
    let read_ahead = (&mut reader)
        .take(MAX_HEADER_BYTES)
        .read_until(b'\n', &mut header_row);
    let delimiter = match options.delimiter {
        Some(delimiter) => delimiter,
        None => detect_delimiter(&header_row),
    };
    let reader: Box<dyn Read + Send> = match read_ahead {
        Ok(_) => Box::new(std::io::Cursor::new(header_row).chain(reader)),
        Err(error) => Box::new(FailingReader(Some(error))),
    };
    let csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
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

/// The separator of the header row: the most frequent of `,`, `;` and tab outside quotes
/// (`,` when none appears: a one-column file).
fn detect_delimiter(header: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &byte in header {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let candidates = [b',', b';', b'\t'];
    let (best, count) = counts
        .iter()
        .enumerate()
        .max_by_key(|(i, c)| (**c, std::cmp::Reverse(*i)))
        .expect("three candidates");
    if *count == 0 {
        b','
    } else {
        candidates[best]
    }
}

/// The longest header row read to detect the separator.
const MAX_HEADER_BYTES: u64 = 64 << 10;

/// A reader whose first read fails with the error met while reading ahead.
struct FailingReader(Option<std::io::Error>);

impl Read for FailingReader {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        match self.0.take() {
            Some(error) => Err(error),
            None => Ok(0),
        }
    }
}

/// A reader that turns CRLF and lone CR line endings into LF, so that the CSV parser's
/// line numbers are the ones an editor shows (it counts a CRLF record end apart from the
/// line it ends).
struct Lines<R> {
    inner: R,
    /// The last byte handed out was a CR turned into LF: a following LF is dropped.
    after_cr: bool,
}

impl<R: Read> Lines<R> {
    fn new(inner: R) -> Self {
        Lines {
            inner,
            after_cr: false,
        }
    }
}

impl<R: Read> Read for Lines<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let n = self.inner.read(out)?;
            if n == 0 {
                return Ok(0);
            }
            let mut kept = 0;
            for i in 0..n {
                let byte = out[i];
                match byte {
                    b'\n' if self.after_cr => self.after_cr = false,
                    b'\r' => {
                        self.after_cr = true;
                        out[kept] = b'\n';
                        kept += 1;
                    }
                    _ => {
                        self.after_cr = false;
                        out[kept] = byte;
                        kept += 1;
                    }
                }
            }
            // A buffer holding only the LF of a CRLF reads again rather than signal the end.
            if kept > 0 {
                return Ok(kept);
            }
        }
    }
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

    /// Reads one byte at a time, so that a CRLF falls across two reads.
    struct Trickle(std::io::Cursor<Vec<u8>>);

    impl Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = out.len().min(1);
            self.0.read(&mut out[..n])
        }
    }

    fn lines(input: &str, options: ReadOptions) -> Vec<Result<RawRecord, RecordError>> {
        let whole: Vec<_> = csv_rows(
            "in.csv".into(),
            std::io::Cursor::new(input.as_bytes().to_vec()),
            options,
        )
        .collect();
        let trickled: Vec<_> = csv_rows(
            "in.csv".into(),
            Trickle(std::io::Cursor::new(input.as_bytes().to_vec())),
            options,
        )
        .collect();
        assert_eq!(whole, trickled, "reading byte by byte changes nothing");
        whole
    }

    #[test]
    fn excel_semicolon_csv_with_bom_and_crlf_is_read_with_editor_line_numbers() {
        let input = "\u{feff}id;title;summary;keywords;trl\r\n\
                     A1;Máy sấy;Tốt, rẻ;\"sấy;bơm nhiệt\";7\r\n\
                     A2;\"Hai\r\ndòng\";x;;12\r\n\
                     A3;y;z;;1;extra\r\n";
        let rows = lines(input, ReadOptions::default());
        let first = rows[0].as_ref().unwrap();
        assert_eq!(first.line, 2);
        assert_eq!(first.fields["summary"], "Tốt, rẻ");
        assert_eq!(first.fields["keywords"], "sấy;bơm nhiệt");
        let second = rows[1].as_ref().unwrap();
        assert_eq!(second.line, 3);
        assert_eq!(second.fields["title"], "Hai\ndòng");
        let third = rows[2].as_ref().unwrap_err();
        assert_eq!(third.line, 5, "{third:?}");
        assert!(third
            .reason
            .contains("row has 6 cells but the header has 5 columns"));
    }

    #[test]
    fn the_separator_is_detected_from_the_header_or_given() {
        for (input, expected) in [
            ("id,title\nA1,x;y\n", "x;y"),
            ("id;title\nA1;x,y\n", "x,y"),
            ("id\ttitle\nA1\tx;y,z\n", "x;y,z"),
            ("\"i;d\",title\nA1,t\n", "t"),
        ] {
            let rows = lines(input, ReadOptions::default());
            assert_eq!(
                rows[0].as_ref().unwrap().fields["title"],
                expected,
                "{input}"
            );
        }
        let given = ReadOptions {
            delimiter: Some(b';'),
            ..ReadOptions::default()
        };
        let rows = lines("id,x;title\nA1,1;t\n", given);
        assert_eq!(rows[0].as_ref().unwrap().fields["title"], "t");
    }

    #[test]
    fn lone_cr_line_endings_count_as_lines() {
        let rows = lines("id,title\rA1,x\rA2,y\r", ReadOptions::default());
        let lines: Vec<usize> = rows.iter().map(|r| r.as_ref().unwrap().line).collect();
        assert_eq!(lines, vec![2, 3]);
    }
}
