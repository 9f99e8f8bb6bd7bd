//! JSON Lines: one JSON object per line.

use std::io::{BufRead, BufReader, Read};

use serde_json::Value;

use super::{RawRecord, ReadOptions};
use crate::error::RecordError;

/// Iterator over the rows of a JSONL stream.
pub struct JsonlRows<R: Read> {
    name: String,
    reader: BufReader<R>,
    line: usize,
    options: ReadOptions,
    done: bool,
}

impl<R: Read> JsonlRows<R> {
    pub fn new(name: String, reader: R, options: ReadOptions) -> Self {
        JsonlRows {
            name,
            reader: BufReader::with_capacity(1 << 16, reader),
            line: 0,
            options,
            done: false,
        }
    }

    /// Reads one line, keeping at most `max + 1` bytes of it; returns (bytes, too_long).
    fn read_line(&mut self) -> std::io::Result<Option<(Vec<u8>, bool)>> {
        let max = self.options.max_record_bytes;
        let mut line = Vec::new();
        let mut too_long = false;
        let mut read_any = false;
        loop {
            let available = self.reader.fill_buf()?;
            if available.is_empty() {
                return Ok(read_any.then_some((line, too_long)));
            }
            read_any = true;
            let (chunk, found_newline) = match available.iter().position(|&b| b == b'\n') {
                Some(i) => (&available[..i], true),
                None => (available, false),
            };
            if !too_long {
                if line.len() + chunk.len() > max {
                    too_long = true;
                    line.clear();
                } else {
                    line.extend_from_slice(chunk);
                }
            }
            let consumed = chunk.len() + usize::from(found_newline);
            self.reader.consume(consumed);
            if found_newline {
                return Ok(Some((line, too_long)));
            }
        }
    }
}

impl<R: Read> Iterator for JsonlRows<R> {
    type Item = Result<RawRecord, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.done {
                return None;
            }
            let (bytes, too_long) = match self.read_line() {
                Ok(Some(line)) => line,
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Err(error) => {
                    self.done = true;
                    self.line += 1;
                    return Some(Err(RecordError::line(
                        &self.name,
                        self.line,
                        format!("read error: {error}"),
                    )));
                }
            };
            self.line += 1;
            if too_long {
                return Some(Err(RecordError::line(
                    &self.name,
                    self.line,
                    format!(
                        "record is larger than the limit of {} bytes",
                        self.options.max_record_bytes
                    ),
                )));
            }
            let mut bytes = bytes.as_slice();
            if self.line == 1 {
                bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            }
            let text = match std::str::from_utf8(bytes) {
                Ok(text) => text,
                Err(error) => {
                    return Some(Err(RecordError::line(
                        &self.name,
                        self.line,
                        format!(
                            "invalid UTF-8 at byte {} of the line (save the file as UTF-8)",
                            error.valid_up_to() + 1
                        ),
                    )))
                }
            };
            if text.trim().is_empty() {
                continue;
            }
            return Some(match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(fields)) => Ok(RawRecord {
                    line: self.line,
                    fields,
                    from_cells: false,
                }),
                Ok(_) => Err(RecordError::line(
                    &self.name,
                    self.line,
                    "line is not a JSON object (expected {\"id\": ..., \"title\": ...})",
                )),
                Err(error) => Err(RecordError::line(
                    &self.name,
                    self.line,
                    format!("invalid JSON at column {}: {}", error.column(), error),
                )),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(input: &[u8], max: usize) -> Vec<Result<usize, String>> {
        JsonlRows::new(
            "in.jsonl".into(),
            input,
            ReadOptions {
                max_record_bytes: max,
                delimiter: None,
            },
        )
        .map(|r| r.map(|r| r.line).map_err(|e| e.to_string()))
        .collect()
    }

    #[test]
    fn blank_lines_are_skipped_and_counted() {
        assert_eq!(
            rows(b"{\"id\":\"a\"}\n\n{\"id\":\"b\"}\n", 100),
            vec![Ok(1), Ok(3)]
        );
    }

    #[test]
    fn bom_is_tolerated() {
        assert_eq!(rows(b"\xEF\xBB\xBF{\"id\":\"a\"}", 100), vec![Ok(1)]);
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let got = rows(b"{}\n{\"id\":\"\xFF\"}\n", 100);
        assert!(got[1]
            .as_ref()
            .unwrap_err()
            .starts_with("in.jsonl:2: invalid UTF-8"));
    }

    #[test]
    fn not_an_object() {
        let got = rows(b"[1,2]\n", 100);
        assert!(got[0].as_ref().unwrap_err().contains("not a JSON object"));
    }

    #[test]
    fn oversized_line_is_rejected_and_reading_goes_on() {
        let mut input = format!("{{\"id\":\"{}\"}}\n", "x".repeat(500)).into_bytes();
        input.extend_from_slice(b"{\"id\":\"b\"}\n");
        let got = rows(&input, 100);
        assert!(got[0]
            .as_ref()
            .unwrap_err()
            .contains("larger than the limit"));
        assert_eq!(got[1], Ok(2));
    }
}
