//! Technical tokens: numbers, units, codes and dotted abbreviations.
//!
//! Rules (applied to one UAX #29 word, before normalisation, so offsets stay exact):
//! - Inside a word, `.` `:` `'` `’` `_` `·` between letters split it: `TP.HCM` -> `tp`, `hcm`;
//!   `don't` -> `don`, `t`. Between two digits they are kept: `4.0`, `1.500.000`, `2,5`
//!   stay one token.
//! - A number followed by a unit splits into the number and the unit, and the whole is kept
//!   as a variant at the number's position: `5kW` -> `5`, `kw` (+ `5kw`); `20m3` -> `20`,
//!   `m3` (+ `20m3`). So "5 kW" and "5kW" find each other.
//! - Letter-first codes stay whole: `CO2`, `H2O2`, `m3`, `ISO9001`, `IoT`.
//! - Numbers with thousands groups also get their digits-only form as a variant
//!   (`1.500.000` + `1500000`, `1,500,000` + `1500000`); a decimal comma also gets the
//!   decimal point form (`2,5` + `2.5`).
//! - Codes such as `QCVN 14:2008/BTNMT` need no rule of their own: `:`, `/` and spaces
//!   separate `qcvn`, `14`, `2008`, `btnmt` without breaking the bigram chain, so the
//!   bigram fields keep their order ("14 2008", "2008 btnmt").

/// One part of a word: byte range in the original text and whether it is only a variant
/// (indexed at the position of the preceding main part).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// Byte offset of the start, in the original text.
    pub start: usize,
    /// Byte offset of the end, in the original text.
    pub end: usize,
    /// False for a main part (takes a position), true for a variant of the previous one.
    pub variant: bool,
}

fn is_connector(c: char) -> bool {
    matches!(c, '.' | ',' | ':' | '\'' | '’' | '_' | '·' | '‧')
}

/// Splits the word `text[start..end]` into parts.
pub fn split_word(text: &str, start: usize, end: usize) -> Vec<Part> {
    let word = &text[start..end];
    let mut parts = Vec::new();
    let mut piece_start = 0;
    let chars: Vec<(usize, char)> = word.char_indices().collect();
    for (i, &(offset, c)) in chars.iter().enumerate() {
        if !is_connector(c) {
            continue;
        }
        let prev_digit = i > 0 && chars[i - 1].1.is_ascii_digit();
        let next_digit = chars.get(i + 1).is_some_and(|(_, n)| n.is_ascii_digit());
        if prev_digit && next_digit {
            continue;
        }
        push_unit_split(&mut parts, word, start, piece_start, offset);
        piece_start = offset + c.len_utf8();
    }
    push_unit_split(&mut parts, word, start, piece_start, word.len());
    parts
}

/// Pushes `word[from..to]`, splitting a number from a following unit.
fn push_unit_split(parts: &mut Vec<Part>, word: &str, base: usize, from: usize, to: usize) {
    let piece = &word[from..to];
    if !piece.chars().any(char::is_alphanumeric) {
        return;
    }
    let number_len = leading_number_len(piece);
    let rest = &piece[number_len..];
    let unit_follows = number_len > 0 && rest.chars().next().is_some_and(char::is_alphabetic);
    if unit_follows {
        let split = base + from + number_len;
        parts.push(Part {
            start: base + from,
            end: split,
            variant: false,
        });
        parts.push(Part {
            start: base + from,
            end: base + to,
            variant: true,
        });
        parts.push(Part {
            start: split,
            end: base + to,
            variant: false,
        });
    } else {
        parts.push(Part {
            start: base + from,
            end: base + to,
            variant: false,
        });
    }
}

/// Length in bytes of a leading number: digits with inner `.` or `,` between digits.
fn leading_number_len(piece: &str) -> usize {
    let bytes = piece.as_bytes();
    let mut len = 0;
    while len < bytes.len() {
        let b = bytes[len];
        let inner_sep = (b == b'.' || b == b',')
            && len > 0
            && bytes[len - 1].is_ascii_digit()
            && bytes.get(len + 1).is_some_and(u8::is_ascii_digit);
        if b.is_ascii_digit() || inner_sep {
            len += 1;
        } else {
            break;
        }
    }
    len
}

/// Other spellings of a normalised number token, if any.
///
/// ```
/// use techmatch_analysis::technical::number_variant;
/// assert_eq!(number_variant("1.500.000").as_deref(), Some("1500000"));
/// assert_eq!(number_variant("2,5").as_deref(), Some("2.5"));
/// assert_eq!(number_variant("4.0"), None);
/// ```
pub fn number_variant(token: &str) -> Option<String> {
    if !token.starts_with(|c: char| c.is_ascii_digit()) || leading_number_len(token) != token.len()
    {
        return None;
    }
    let groups: Vec<&str> = token.split(['.', ',']).collect();
    if groups.len() < 2 {
        return None;
    }
    let separators: Vec<char> = token.chars().filter(|c| *c == '.' || *c == ',').collect();
    let same_separator = separators.iter().all(|c| *c == separators[0]);
    let thousands = same_separator
        && (1..=3).contains(&groups[0].len())
        && groups[0] != "0"
        && groups[1..].iter().all(|g| g.len() == 3);
    if thousands {
        return Some(groups.concat());
    }
    if groups.len() == 2 && separators[0] == ',' {
        return Some(format!("{}.{}", groups[0], groups[1]));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(text: &str) -> Vec<(&str, bool)> {
        split_word(text, 0, text.len())
            .iter()
            .map(|p| (&text[p.start..p.end], p.variant))
            .collect()
    }

    macro_rules! split_cases {
        ($($name:ident: $input:expr => [$(($part:expr, $variant:expr)),*],)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(parts($input), vec![$(($part, $variant)),*]);
            }
        )*};
    }

    split_cases! {
        version_kept: "4.0" => [("4.0", false)],
        thousands_kept: "1.500.000" => [("1.500.000", false)],
        decimal_comma_kept: "2,5" => [("2,5", false)],
        formula_kept: "H2O2" => [("H2O2", false)],
        co2_kept: "CO2" => [("CO2", false)],
        ratio_kept: "14:2008" => [("14:2008", false)],
        power_unit_split: "5kW" => [("5", false), ("5kW", true), ("kW", false)],
        volume_unit_split: "20m3" => [("20", false), ("20m3", true), ("m3", false)],
        decimal_unit_split: "2,5kg" => [("2,5", false), ("2,5kg", true), ("kg", false)],
        dotted_abbreviation: "TP.HCM" => [("TP", false), ("HCM", false)],
        apostrophe: "don't" => [("don", false), ("t", false)],
        vietnamese_unit: "20ngày" => [("20", false), ("20ngày", true), ("ngày", false)],
    }

    macro_rules! number_cases {
        ($($name:ident: $input:expr => $expected:expr,)*) => {$(
            #[test]
            fn $name() {
                assert_eq!(number_variant($input).as_deref(), $expected);
            }
        )*};
    }

    number_cases! {
        vn_thousands: "1.500.000" => Some("1500000"),
        en_thousands: "1,500,000" => Some("1500000"),
        vn_decimal: "2,5" => Some("2.5"),
        en_decimal: "2.5" => None,
        version: "4.0" => None,
        short_thousands_dot: "1.500" => Some("1500"),
        leading_zero: "0.500" => None,
        long_thousands_dot: "12.500" => Some("12500"),
        plain: "2008" => None,
        not_number: "co2" => None,
    }
}
