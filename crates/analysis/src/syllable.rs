//! The Vietnamese syllable: onset + vowel nucleus + coda, and the tone that sits on one vowel.
//!
//! Parsing a syllable lets us put its tone mark in one canonical place and recognise
//! Vietnamese typed without diacritics. A token that does not parse as a syllable (an English
//! word, a code, "crème") is left exactly as it was.
//!
//! Canonical tone placement (documented rule, the "traditional" style that Vietnamese
//! government and press text mostly uses):
//! 1. if the nucleus holds a vowel with a quality mark (ă â ê ô ơ ư), the tone sits on the
//!    last such vowel (`thuở`, `giữa`, `người`, `khuyết`);
//! 2. otherwise a single vowel takes it;
//! 3. otherwise, when the syllable ends in a consonant, the last vowel takes it (`hoàn`,
//!    `toán`, `huỳnh`);
//! 4. otherwise (an open syllable) a two-vowel nucleus puts it on the first vowel (`hòa`,
//!    `khỏe`, `thủy`, `mùa`, `hài`) and a three-vowel nucleus on the middle one (`hoài`,
//!    `khuỷu`).
//!
//! Rule 4 is the only place where the two styles in use differ: `hoà`/`hòa`, `khoẻ`/`khỏe`,
//! `thuỷ`/`thủy` all come out as the second spelling.

use unicode_normalization::UnicodeNormalization;

/// One of the five Vietnamese tone marks (the level tone has no mark).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// huyền, U+0300
    Grave,
    /// sắc, U+0301
    Acute,
    /// ngã, U+0303
    Tilde,
    /// hỏi, U+0309
    Hook,
    /// nặng, U+0323
    DotBelow,
}

impl Tone {
    fn from_mark(c: char) -> Option<Tone> {
        match c {
            '\u{300}' => Some(Tone::Grave),
            '\u{301}' => Some(Tone::Acute),
            '\u{303}' => Some(Tone::Tilde),
            '\u{309}' => Some(Tone::Hook),
            '\u{323}' => Some(Tone::DotBelow),
            _ => None,
        }
    }

    fn mark(self) -> char {
        match self {
            Tone::Grave => '\u{300}',
            Tone::Acute => '\u{301}',
            Tone::Tilde => '\u{303}',
            Tone::Hook => '\u{309}',
            Tone::DotBelow => '\u{323}',
        }
    }
}

/// Onsets, longest first so that the first match is the right one.
const ONSETS: &[&str] = &[
    "ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr", "b", "c", "d", "đ", "g",
    "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x",
];

const CODAS: &[&str] = &["ch", "ng", "nh", "c", "m", "n", "p", "t", ""];

/// Vowel nuclei that occur in Vietnamese, written without tone.
const NUCLEI: &[&str] = &[
    "a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "ai", "ao", "au", "ay", "âu", "ây",
    "eo", "êu", "ia", "iê", "iu", "oa", "oă", "oe", "oi", "oo", "ôi", "ơi", "ua", "uâ", "uê", "ui",
    "uô", "uơ", "uy", "ưa", "ưi", "ưu", "ươ", "yê", "iêu", "oai", "oao", "oay", "oeo", "uây",
    "uôi", "uya", "uyê", "uyu", "ươi", "ươu", "yêu",
];

/// The nuclei above with their marks removed, for Vietnamese typed without diacritics.
const FOLDED_NUCLEI: &[&str] = &[
    "eu", "ie", "ue", "uo", "uu", "ye", "ieu", "uay", "uoi", "uye", "uou", "yeu",
];

fn is_vowel(c: char) -> bool {
    matches!(
        c,
        'a' | 'ă' | 'â' | 'e' | 'ê' | 'i' | 'o' | 'ô' | 'ơ' | 'u' | 'ư' | 'y'
    )
}

fn has_quality_mark(c: char) -> bool {
    matches!(c, 'ă' | 'â' | 'ê' | 'ô' | 'ơ' | 'ư')
}

/// A parsed syllable, all parts lowercase NFC and without tone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Syllable {
    /// Initial consonant cluster, possibly empty.
    pub onset: String,
    /// Vowel nucleus (with glides), never empty.
    pub nucleus: String,
    /// Final consonant, possibly empty.
    pub coda: String,
    /// The tone, if marked.
    pub tone: Option<Tone>,
    /// The word as given (lowercase NFC); kept when the nucleus is only a folded spelling.
    original: String,
}

impl Syllable {
    /// Parses a lowercase word as a Vietnamese syllable; `None` if it is not one.
    ///
    /// Accepts both marked ("nước") and unmarked ("nuoc") spellings; with more than one tone
    /// mark the word is not a syllable.
    pub fn parse(word: &str) -> Option<Syllable> {
        if word.is_empty() || word.len() > 32 {
            return None;
        }
        let mut tone = None;
        let mut toneless = String::with_capacity(word.len());
        for c in word.nfd() {
            if let Some(t) = Tone::from_mark(c) {
                if tone.is_some() {
                    return None;
                }
                tone = Some(t);
            } else {
                toneless.push(c);
            }
        }
        let toneless: String = toneless.nfc().collect();
        let (onset, rest) = split_onset(&toneless);
        let vowel_len: usize = rest
            .chars()
            .take_while(|&c| is_vowel(c))
            .map(char::len_utf8)
            .sum();
        let (nucleus, coda) = rest.split_at(vowel_len);
        let known = NUCLEI.contains(&nucleus) || FOLDED_NUCLEI.contains(&nucleus);
        if !known || !CODAS.contains(&coda) {
            return None;
        }
        Some(Syllable {
            onset: onset.to_string(),
            nucleus: nucleus.to_string(),
            coda: coda.to_string(),
            tone,
            original: word.to_string(),
        })
    }

    /// Whether the nucleus is written as standard Vietnamese (not a folded-only spelling such
    /// as "uo" for "ươ"); only then can the tone be moved with confidence.
    fn is_standard(&self) -> bool {
        NUCLEI.contains(&self.nucleus.as_str())
    }

    /// Index (in chars) of the nucleus vowel that carries the tone, by the canonical rule.
    pub fn tone_index(&self) -> usize {
        let chars: Vec<char> = self.nucleus.chars().collect();
        if let Some(i) = chars.iter().rposition(|&c| has_quality_mark(c)) {
            return i;
        }
        match chars.len() {
            1 => 0,
            n if !self.coda.is_empty() => n - 1,
            2 => 0,
            _ => 1,
        }
    }

    /// Whether this is an open syllable whose whole rhyme is `i` or `y` after one of the onsets
    /// where Vietnamese spelling lets `i` and `y` alternate (kĩ/kỹ, lí/lý, mĩ/mỹ, sĩ/sỹ,
    /// tỉ/tỷ, hi/hy sinh, qui/quy định). After other onsets only one spelling is used
    /// (bị, đi, vi, xi), and those are left alone.
    fn is_i_y_variant(&self) -> bool {
        self.coda.is_empty()
            && (self.nucleus == "i" || self.nucleus == "y")
            && matches!(
                self.onset.as_str(),
                "h" | "k" | "l" | "m" | "s" | "t" | "qu"
            )
    }

    /// The canonical spelling: tone on its canonical vowel, `y` for the i/y variants, NFC.
    pub fn canonical(&self) -> String {
        if !self.is_standard() {
            return self.original.nfc().collect();
        }
        let nucleus = if self.is_i_y_variant() {
            "y"
        } else {
            self.nucleus.as_str()
        };
        let mut out = String::with_capacity(self.onset.len() + nucleus.len() + self.coda.len() + 2);
        out.push_str(&self.onset);
        let target = self.tone_index();
        for (i, c) in nucleus.chars().enumerate() {
            out.push(c);
            if i == target {
                if let Some(t) = self.tone {
                    out.push(t.mark());
                }
            }
        }
        out.push_str(&self.coda);
        out.nfc().collect()
    }
}

/// Splits the onset off a toneless lowercase word.
fn split_onset(word: &str) -> (&str, &str) {
    for onset in ONSETS {
        if let Some(rest) = word.strip_prefix(onset) {
            // "gi" is an onset only when a vowel follows it (gìn = g + ìn, giữa = gi + ữa);
            // "qu" likewise needs a vowel after the u.
            if (*onset == "gi" || *onset == "qu") && !rest.starts_with(is_vowel) {
                continue;
            }
            return (onset, rest);
        }
    }
    ("", word)
}

/// Whether a lowercase word reads as a Vietnamese syllable, with or without diacritics.
pub fn is_vietnamese_syllable(word: &str) -> bool {
    Syllable::parse(word).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! canonical_cases {
        ($($name:ident: $input:expr => $expected:expr,)*) => {$(
            #[test]
            fn $name() {
                let nfc: String = $input.nfc().collect();
                let got = Syllable::parse(&nfc).map(|s| s.canonical());
                assert_eq!(got.as_deref(), $expected, "input {:?}", $input);
            }
        )*};
    }

    canonical_cases! {
        old_style_hoa: "hoà" => Some("hòa"),
        new_style_hoa: "hòa" => Some("hòa"),
        old_style_thuy: "thuỷ" => Some("thủy"),
        old_style_khoe: "khoẻ" => Some("khỏe"),
        old_style_uy: "uỷ" => Some("ủy"),
        fixed_hoan: "hoàn" => Some("hoàn"),
        fixed_quy: "quý" => Some("quý"),
        fixed_huynh: "huỳnh" => Some("huỳnh"),
        fixed_thuo: "thuở" => Some("thuở"),
        fixed_giua: "giữa" => Some("giữa"),
        fixed_khuya: "khuya" => Some("khuya"),
        fixed_nguoi: "người" => Some("người"),
        fixed_khuyu: "khuỷu" => Some("khuỷu"),
        misplaced_hoai: "hòai" => Some("hoài"),
        i_to_y_ki: "kĩ" => Some("kỹ"),
        i_to_y_li: "lí" => Some("lý"),
        i_to_y_mi: "mĩ" => Some("mỹ"),
        i_to_y_qui: "qui" => Some("quy"),
        gi_keeps_i: "gì" => Some("gì"),
        bare_y_kept: "ý" => Some("ý"),
        closed_i_kept: "kinh" => Some("kinh"),
        bi_kept: "bị" => Some("bị"),
        di_kept: "đi" => Some("đi"),
        si_to_y: "sĩ" => Some("sỹ"),
        unmarked_nuoc: "nuoc" => Some("nuoc"),
        unmarked_nguyen: "nguyen" => Some("nguyen"),
        partial_marks_kept: "nuóc" => Some("nuóc"),
        not_syllable_english: "treatment" => None,
        not_syllable_creme: "crème" => None,
        not_syllable_two_tones: "háà" => None,
        not_syllable_code: "btnmt" => None,
    }
}
