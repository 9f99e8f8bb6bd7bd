//! Writing tables as an Excel workbook for brokers: a bold frozen header row on every sheet,
//! column widths that fit the content, every cell as text (ids like "0012" stay as typed).

use std::path::Path;

use anyhow::{Context, Result};
use techmatch_query::pair::Sheet;

/// Writes `rows` under `header` into a one-sheet workbook at `path`.
pub fn write_xlsx<const N: usize>(
    path: &Path,
    sheet_name: &'static str,
    header: &[&'static str; N],
    widths: &[f64; N],
    rows: &[[String; N]],
) -> Result<()> {
    let sheet = Sheet {
        name: sheet_name,
        header: header.to_vec(),
        widths: widths.to_vec(),
        rows: rows.iter().map(|row| row.to_vec()).collect(),
    };
    write_workbook(path, std::slice::from_ref(&sheet))
}

/// Writes several sheets into one workbook at `path`.
pub fn write_workbook(path: &Path, sheets: &[Sheet]) -> Result<()> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for table in sheets {
        let sheet = workbook.add_worksheet();
        sheet.set_name(table.name)?;
        for (col, name) in table.header.iter().enumerate() {
            sheet.write_string_with_format(0, col as u16, *name, &bold)?;
            if let Some(width) = table.widths.get(col) {
                sheet.set_column_width(col as u16, *width)?;
            }
        }
        sheet.set_freeze_panes(1, 0)?;
        for (r, row) in table.rows.iter().enumerate() {
            for (c, value) in row.iter().enumerate() {
                sheet.write_string(r as u32 + 1, c as u16, value)?;
            }
        }
    }
    workbook
        .save(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
