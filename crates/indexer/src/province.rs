//! Province names normalised to the 34 provincial-level units in force since 1 July 2025.
//!
//! The table lives in `index-data/provinces.tsv` (canonical name, code, aliases including the
//! former provinces merged into each unit). Matching ignores case, diacritics, spaces,
//! hyphens and dots, and administrative prefixes ("Tỉnh", "TP.", "Thành phố", "City").

use std::collections::HashMap;

use techmatch_analysis::fold_diacritics;

/// The bundled province table.
pub const BUNDLED_PROVINCES: &str = include_str!("../data/provinces.tsv");

/// One current provincial-level unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Province {
    /// Canonical name with diacritics ("Hồ Chí Minh").
    pub name: String,
    /// Stable ASCII code ("ho-chi-minh").
    pub code: String,
}

/// Looks up free-text province names.
#[derive(Debug, Clone)]
pub struct Provinces {
    units: Vec<Province>,
    by_key: HashMap<String, usize>,
}

const PREFIXES: &[&str] = &["thanhpho", "tinh", "tp", "city", "province"];

/// The comparison key of a name: folded, lowercase, letters and digits only, prefix removed.
fn key(name: &str) -> String {
    let folded: String = fold_diacritics(&name.to_lowercase())
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    for prefix in PREFIXES {
        if let Some(rest) = folded.strip_prefix(prefix) {
            if !rest.is_empty() {
                return rest.to_string();
            }
        }
    }
    folded
}

impl Provinces {
    /// Parses a table in the `provinces.tsv` format.
    pub fn parse(table: &str) -> Result<Provinces, String> {
        let mut units = Vec::new();
        let mut by_key = HashMap::new();
        let mut header_seen = false;
        for (i, line) in table.lines().enumerate() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            if !header_seen {
                header_seen = true;
                continue;
            }
            let columns: Vec<&str> = line.split('\t').collect();
            if columns.len() < 2 {
                return Err(format!(
                    "line {}: expected canonical<TAB>code<TAB>aliases",
                    i + 1
                ));
            }
            let index = units.len();
            units.push(Province {
                name: columns[0].trim().to_string(),
                code: columns[1].trim().to_string(),
            });
            let aliases = columns.get(2).copied().unwrap_or("");
            for name in std::iter::once(columns[0]).chain(aliases.split('|')) {
                let k = key(name);
                if k.is_empty() {
                    continue;
                }
                if let Some(other) = by_key.insert(k, index) {
                    if other != index {
                        return Err(format!("line {}: alias {name:?} names two units", i + 1));
                    }
                }
            }
        }
        Ok(Provinces { units, by_key })
    }

    /// The bundled table.
    pub fn bundled() -> Provinces {
        Provinces::parse(BUNDLED_PROVINCES).expect("bundled provinces.tsv is valid")
    }

    /// The current unit a name refers to, if known.
    ///
    /// ```
    /// let provinces = techmatch_indexer::province::Provinces::bundled();
    /// assert_eq!(provinces.resolve("TP. Hồ Chí Minh").unwrap().name, "Hồ Chí Minh");
    /// assert_eq!(provinces.resolve("tinh binh duong").unwrap().name, "Hồ Chí Minh");
    /// ```
    pub fn resolve(&self, name: &str) -> Option<&Province> {
        let k = key(name);
        self.by_key.get(&k).map(|&i| &self.units[i])
    }

    /// All current units, in table order.
    pub fn all(&self) -> &[Province] {
        &self.units
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! cases {
        ($($name:ident: $input:expr => $expected:expr,)*) => {$(
            #[test]
            fn $name() {
                let provinces = Provinces::bundled();
                assert_eq!(provinces.resolve($input).map(|p| p.name.as_str()), $expected);
            }
        )*};
    }

    cases! {
        hcm_short: "TP.HCM" => Some("Hồ Chí Minh"),
        hcm_prefixed: "Thành phố Hồ Chí Minh" => Some("Hồ Chí Minh"),
        merged_binh_duong: "Bình Dương" => Some("Hồ Chí Minh"),
        no_diacritics: "Can Tho" => Some("Cần Thơ"),
        merged_hai_duong: "Tỉnh Hải Dương" => Some("Hải Phòng"),
        old_style_tone: "Khánh Hoà" => Some("Khánh Hòa"),
        ha_tay: "Hà Tây" => Some("Hà Nội"),
        hue_old_name: "Thừa Thiên Huế" => Some("Huế"),
        unknown: "Atlantis" => None,
    }

    #[test]
    fn bundled_table_has_34_units() {
        assert_eq!(Provinces::bundled().all().len(), 34);
    }
}
