//! The folded form: what a person typing without diacritics produces.
//!
//! Combining marks (canonical combining class above zero) are removed after canonical
//! decomposition (so `ư` -> `u`, `ê` -> `e`,
//! `ñ` -> `n`), `đ`/`Đ` becomes `d`. Letters that are not a base letter plus marks stay as
//! they are: ETH `ð` is its own letter and is not turned into `d`.

use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::UnicodeNormalization;

/// Removes diacritics and maps đ to d; idempotent.
///
/// ```
/// use techmatch_analysis::fold::fold_diacritics;
/// assert_eq!(fold_diacritics("Đặng Minh Anh"), "Dang Minh Anh");
/// assert_eq!(fold_diacritics("crème brûlée"), "creme brulee");
/// ```
pub fn fold_diacritics(text: &str) -> String {
    if text.is_ascii() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.nfd() {
        match c {
            'đ' => out.push('d'),
            'Đ' => out.push('D'),
            c if canonical_combining_class(c) != 0 => {}
            c => out.push(c),
        }
    }
    if out.is_ascii() {
        out
    } else {
        out.nfc().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! cases {
        ($($name:ident: $input:expr => $expected:expr,)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(fold_diacritics($input), $expected);
                assert_eq!(fold_diacritics(&fold_diacritics($input)), $expected, "idempotent");
            }
        )*};
    }

    cases! {
        person_name: "Đặng Minh Anh" => "Dang Minh Anh",
        city_caps: "ĐÀ NẴNG" => "DA NANG",
        cong_hoa: "Cộng Hòa" => "Cong Hoa",
        french: "crème brûlée" => "creme brulee",
        eth_kept: "Ðor ðor" => "Ðor ðor",
        horn_letters: "nước ươn" => "nuoc uon",
        nfd_input: "nu\u{031B}\u{0301}o\u{031B}c" => "nuoc",
        han_untouched: "污水处理" => "污水处理",
        ascii_untouched: "CO2 5kW" => "CO2 5kW",
    }
}
