//! Reading and splitting lines, shared by the qrels and run readers.

use std::path::Path;

use crate::error::{Error, Result};

/// Reads a whole file as UTF-8, naming the first line that is not.
pub(crate) fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|error| {
        let valid = error.utf8_error().valid_up_to();
        let line = 1 + error.as_bytes()[..valid]
            .iter()
            .filter(|&&byte| byte == b'\n')
            .count();
        Error::InvalidUtf8 {
            file: path.display().to_string(),
            line,
        }
    })
}

/// The lines that hold data, with their 1-based numbers.
///
/// Blank lines (only spaces, tabs or `\r`) are skipped, as trec_eval does, so a file
/// may end with an empty line or use CRLF line ends.
pub(crate) fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .enumerate()
        .map(|(index, line)| (index + 1, line))
        .filter(|(_, line)| !line.trim_ascii().is_empty())
}

/// Splits a line into exactly `N` columns separated by ASCII whitespace (trec_eval
/// splits on spaces and tabs only, so a non-breaking space stays inside an id).
pub(crate) fn columns<'a, const N: usize>(
    file: &str,
    line_number: usize,
    line: &'a str,
    format: &'static str,
) -> Result<[&'a str; N]> {
    let mut columns = [""; N];
    let mut found = 0;
    for column in line.split_ascii_whitespace() {
        if found < N {
            columns[found] = column;
        }
        found += 1;
    }
    if found != N {
        return Err(Error::ColumnCount {
            file: file.to_owned(),
            line: line_number,
            expected: N,
            found,
            format,
        });
    }
    Ok(columns)
}
