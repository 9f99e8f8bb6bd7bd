//! Near-duplicate detection: the same technology sent by several exchanges or connection
//! points — retyped without diacritics, in NFD, with old-style tone marks, with a shorter
//! title or text, reordered, updated, with the owner or province spelled differently.
//!
//! The technique is MinHash with LSH banding over folded word shingles, then a stricter
//! check of each candidate pair:
//!
//! 1. **Words.** The text is folded (no diacritics, `đ` → `d`, NFC/NFD and old/new tone
//!    placement made equal, lowercase); words are runs of letters and digits, and each
//!    CJK ideograph is a word of its own.
//! 2. **Shingles.** Pairs of consecutive words, hashed (each word's folded form by 64-bit
//!    FNV-1a, the pair by SplitMix64); a text of one word is one shingle.
//! 3. **Signatures.** Two parts of a record are signed, each with [`NUM_HASHES`] minimum
//!    hashes: the *head* (title and summary) and the *full* text (title, summary,
//!    description, keywords). The head finds shortened copies, whose full text shares
//!    little with the original's. Signatures are one-permutation MinHash with optimal
//!    densification (Shrivastava, ICML 2017): each shingle is hashed once into one of the
//!    bins, and an empty bin borrows the value of a bin chosen by a fixed probe sequence;
//!    this estimates Jaccard similarity like classic MinHash at the cost of one hash per
//!    shingle instead of one per shingle and bin.
//! 4. **LSH.** Each signature is cut into [`BANDS`] bands of [`ROWS`] hashes; records that
//!    share a band's key are candidates (one sorted pass over every record's keys, see
//!    `clusters`; a commit's own records have their keys taken as they are written, see
//!    `band_entries`). Keys are not indexed: at 64 unique terms per record they would make the
//!    index a third larger. A few new records instead find their candidates by a search
//!    for their title and summary words.
//! 5. **Confirmation.** A candidate pair is a duplicate when the shingles of one record's
//!    full text are mostly contained in the other's ([`MIN_CONTAINMENT`]) and they share at
//!    least [`MIN_SHARED`] shingles (two titles of three words are not enough evidence).
//!
//! On the judged set in `index-data/duplicates/` (183 planted duplicates of every kind of
//! change, 161 hard non-duplicates of the same owners and sectors) the lowest containment
//! of a true pair is 0.85 and the highest of a non-duplicate 0.50.
//!
//! The hash functions are written out here (FNV-1a, SplitMix64) rather than taken from a
//! MinHash crate so that a record's fingerprint never changes with a dependency's random
//! generator: clusters filed at one ingest and compared at the next must agree.

use std::hash::Hasher;

use techmatch_analysis::fold_diacritics;
use techmatch_analysis::segment::is_cjk;
use unicode_normalization::char::is_combining_mark;

use crate::record::Supply;

/// Minimum hashes per signature.
pub const NUM_HASHES: usize = 128;
/// LSH bands per signature.
pub const BANDS: usize = 32;
/// Hashes per band.
pub const ROWS: usize = NUM_HASHES / BANDS;
/// Least share of the smaller record's shingles found in the other record.
pub const MIN_CONTAINMENT: f32 = 0.7;
/// Least number of shared shingles.
pub const MIN_SHARED: usize = 4;

/// What near-duplicate detection knows of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    /// Shingle hashes of the full text, sorted, without repeats.
    pub shingles: Vec<u64>,
    /// LSH band keys of the head and the full text (2 × [`BANDS`], fewer for an empty text).
    pub band_keys: Vec<u64>,
}

/// The evidence that two records are the same technology.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Evidence {
    /// Share of the smaller record's shingles found in the other.
    pub containment: f32,
    /// Jaccard similarity of the two shingle sets.
    pub jaccard: f32,
    /// Shingles in common.
    pub shared: usize,
}

impl Fingerprint {
    /// The fingerprint of a supply.
    pub fn of(supply: &Supply) -> Fingerprint {
        let (head, rest) = head_and_rest(supply);
        Fingerprint {
            band_keys: keys(&head, &rest),
            shingles: merged(head, rest),
        }
    }

    /// The shingles only (what confirming a candidate needs), without band keys.
    pub fn shingles_of(supply: &Supply) -> Fingerprint {
        let (head, rest) = head_and_rest(supply);
        Fingerprint {
            band_keys: Vec::new(),
            shingles: merged(head, rest),
        }
    }

    /// Compares two records: `Some` when they are near-duplicates.
    pub fn confirm(&self, other: &Fingerprint) -> Option<Evidence> {
        let evidence = self.compare(other);
        (evidence.containment >= MIN_CONTAINMENT && evidence.shared >= MIN_SHARED)
            .then_some(evidence)
    }

    /// How much two records' shingles overlap.
    pub fn compare(&self, other: &Fingerprint) -> Evidence {
        let shared = sorted_intersection(&self.shingles, &other.shingles);
        let smaller = self.shingles.len().min(other.shingles.len()).max(1);
        let union = self.shingles.len() + other.shingles.len() - shared;
        Evidence {
            containment: shared as f32 / smaller as f32,
            jaccard: shared as f32 / union.max(1) as f32,
            shared,
        }
    }
}

/// The LSH band keys of a supply (what finding candidates needs), sorted, without
/// repeats.
pub fn band_keys(supply: &Supply) -> Vec<u64> {
    let (head, rest) = head_and_rest(supply);
    keys(&head, &rest)
}

/// The shingles of the head (title, summary) and of the rest (description, keywords).
fn head_and_rest(supply: &Supply) -> (Vec<u64>, Vec<u64>) {
    let mut head = Vec::new();
    push_shingles(&supply.title, &mut head);
    if let Some(summary) = &supply.summary {
        push_shingles(summary, &mut head);
    }
    let mut rest = Vec::new();
    if let Some(description) = &supply.description {
        push_shingles(description, &mut rest);
    }
    for keyword in &supply.keywords {
        push_shingles(keyword, &mut rest);
    }
    (head, rest)
}

/// Band keys of the head's and the full text's signatures.
fn keys(head: &[u64], rest: &[u64]) -> Vec<u64> {
    // The head's bins are the start of the full text's: one pass over each shingle.
    let head_bins = bins(head, [u64::MAX; NUM_HASHES]);
    let full_bins = bins(rest, head_bins);
    let mut band_keys = Vec::with_capacity(2 * BANDS);
    if !head.is_empty() {
        band_keys.extend(bands(0, &densified(head_bins)));
    }
    if !head.is_empty() || !rest.is_empty() {
        band_keys.extend(bands(1, &densified(full_bins)));
    }
    band_keys.sort_unstable();
    band_keys.dedup();
    band_keys
}

/// All shingles, sorted, without repeats.
fn merged(mut head: Vec<u64>, rest: Vec<u64>) -> Vec<u64> {
    head.extend(rest);
    head.sort_unstable();
    head.dedup();
    head
}

/// The folded words of a text: runs of letters, digits and combining marks (so an NFD
/// word stays one word), each folded and lowercased; every CJK ideograph is a word.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_word(text, |word| out.push(fold_word(word)));
    out
}

/// Calls `f` with each word of a text, as a slice of it.
fn for_each_word(text: &str, mut f: impl FnMut(&str)) {
    let mut start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        let cjk = !c.is_ascii() && is_cjk(c);
        if !cjk && is_word_char(c) {
            start.get_or_insert(i);
            continue;
        }
        if let Some(s) = start.take() {
            f(&text[s..i]);
        }
        if cjk {
            f(&text[i..i + c.len_utf8()]);
        }
    }
    if let Some(s) = start {
        f(&text[s..]);
    }
}

/// Letters, digits and combining marks; the Latin blocks Vietnamese is written in are
/// answered without the general Unicode tables.
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    matches!(c as u32, 0xC0..=0xD6 | 0xD8..=0xF6 | 0xF8..=0x24F | 0x1E00..=0x1EFF)
        || is_combining_mark(c)
        || c.is_alphanumeric()
}

thread_local! {
    /// Hashes of the folded forms of the words seen on this thread: a corpus repeats a few
    /// thousand syllables, and folding (NFD, marks, NFC) is the costly part. The keys are
    /// held inline up to 24 bytes (every syllable): a lookup reads no other memory.
    static FOLDED: std::cell::RefCell<rustc_hash::FxHashMap<compact_str::CompactString, u64>> =
        std::cell::RefCell::new(rustc_hash::FxHashMap::default());
}

/// Most words remembered per thread before the memo is emptied.
const MAX_MEMO_WORDS: usize = 50_000;

fn fold_word(word: &str) -> String {
    if word.is_ascii() {
        word.to_ascii_lowercase()
    } else {
        fold_diacritics(word).to_lowercase()
    }
}

/// The hash of a word's folded form.
fn word_hash(word: &str) -> u64 {
    if word.is_ascii() {
        let mut hasher = fnv::FnvHasher::default();
        for byte in word.bytes() {
            hasher.write_u8(byte.to_ascii_lowercase());
        }
        return hasher.finish();
    }
    FOLDED.with(|memo| {
        let mut memo = memo.borrow_mut();
        if let Some(&hash) = memo.get(word) {
            return hash;
        }
        let mut hasher = fnv::FnvHasher::default();
        for byte in fold_word(word).bytes() {
            hasher.write_u8(byte);
        }
        let hash = hasher.finish();
        if memo.len() >= MAX_MEMO_WORDS {
            memo.clear();
        }
        memo.insert(word.into(), hash);
        hash
    })
}

/// Appends the shingle hashes of one text: pairs of consecutive words (a text of one word
/// is that word).
fn push_shingles(text: &str, out: &mut Vec<u64>) {
    let mut previous: Option<u64> = None;
    let mut count = 0;
    for_each_word(text, |word| {
        let hash = word_hash(word);
        if let Some(before) = previous {
            out.push(splitmix64(before.rotate_left(23) ^ hash));
        }
        previous = Some(hash);
        count += 1;
    });
    if count == 1 {
        out.extend(previous);
    }
}

/// SplitMix64's output function: a fast, well-mixed 64-bit permutation.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Adds shingles to one-permutation MinHash bins: each shingle's hash picks a bin (its top
/// bits) and competes for that bin's minimum (the other bits).
fn bins(shingles: &[u64], mut bins: [u64; NUM_HASHES]) -> [u64; NUM_HASHES] {
    const BIN_BITS: u32 = NUM_HASHES.trailing_zeros();
    for &shingle in shingles {
        let hash = splitmix64(shingle);
        let bin = (hash >> (64 - BIN_BITS)) as usize;
        let value = hash & (u64::MAX >> BIN_BITS);
        if value < bins[bin] {
            bins[bin] = value;
        }
    }
    bins
}

/// Fills every empty bin with the value of the first non-empty bin of its own fixed probe
/// sequence (optimal densification), so that two sets with the same filled bins get the
/// same signature and the chance that a bin agrees stays their Jaccard similarity.
fn densified(bins: [u64; NUM_HASHES]) -> [u64; NUM_HASHES] {
    if bins.iter().all(|&b| b == u64::MAX) {
        return bins;
    }
    let mut out = bins;
    for (i, slot) in out.iter_mut().enumerate() {
        let mut attempt = 0u64;
        while *slot == u64::MAX {
            let probe = splitmix64(((i as u64) << 32) | attempt) as usize % NUM_HASHES;
            *slot = bins[probe];
            attempt += 1;
        }
    }
    out
}

/// The band keys of a signature; `part` keeps the head's and the full text's apart.
fn bands(part: u64, signature: &[u64; NUM_HASHES]) -> impl Iterator<Item = u64> + '_ {
    signature.chunks(ROWS).enumerate().map(move |(band, rows)| {
        let mut key = splitmix64(part << 32 | band as u64);
        for &row in rows {
            key = splitmix64(key ^ row);
        }
        key
    })
}

/// How many items two sorted lists without repeats have in common.
pub fn sorted_intersection<T: Ord>(a: &[T], b: &[T]) -> usize {
    let (mut i, mut j, mut shared) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    shared
}

#[cfg(test)]
mod tests {
    use super::*;

    fn supply(title: &str, summary: &str, description: &str) -> Supply {
        Supply {
            id: "X".into(),
            title: title.into(),
            summary: Some(summary.into()),
            description: Some(description.into()),
            ..Supply::default()
        }
    }

    const DESCRIPTION: &str = "Hệ thống sấy dùng bơm nhiệt hai cấp, nhiệt độ sấy 40–55 °C, \
        giữ được hương vị và màu sắc của hạt. Công suất 500 kg mẻ, tiết kiệm 40% điện năng \
        so với sấy điện trở. Đã lắp đặt cho 12 hợp tác xã ở Đắk Lắk và Lâm Đồng.";

    #[test]
    fn spelling_variants_have_the_same_fingerprint() {
        let base = supply(
            "Máy sấy cà phê bằng bơm nhiệt",
            "Sấy nhanh, giữ hương, hòa hợp môi trường.",
            DESCRIPTION,
        );
        let folded = supply(
            "May say ca phe bang bom nhiet",
            "Say nhanh, giu huong, hoa hop moi truong.",
            &fold_diacritics(DESCRIPTION),
        );
        let old_tone = supply(
            "Máy sấy cà phê bằng bơm nhiệt",
            "Sấy nhanh, giữ hương, hoà hợp môi trường.",
            DESCRIPTION,
        );
        use unicode_normalization::UnicodeNormalization;
        let nfd = supply(
            &base.title.nfd().collect::<String>(),
            &base.summary.as_deref().unwrap().nfd().collect::<String>(),
            &DESCRIPTION.nfd().collect::<String>(),
        );
        let print = Fingerprint::of(&base);
        for variant in [folded, old_tone, nfd] {
            assert_eq!(Fingerprint::of(&variant), print, "{}", variant.title);
        }
    }

    #[test]
    fn a_shortened_copy_is_confirmed_and_shares_a_band() {
        let base = supply(
            "Máy sấy cà phê bằng bơm nhiệt hai cấp",
            "Sấy nhanh ở nhiệt độ thấp, giữ hương vị hạt cà phê.",
            DESCRIPTION,
        );
        let mut short = base.clone();
        short.description = None;
        let (a, b) = (Fingerprint::of(&base), Fingerprint::of(&short));
        let evidence = a.confirm(&b).expect("a shortened copy is a duplicate");
        assert!(evidence.containment > 0.99, "{evidence:?}");
        assert!(a.band_keys.iter().any(|k| b.band_keys.contains(k)));
    }

    #[test]
    fn another_technology_of_the_same_owner_is_not_a_duplicate() {
        let dryer = supply(
            "Máy sấy cà phê bằng bơm nhiệt",
            "Sấy nhanh ở nhiệt độ thấp, giữ hương vị hạt cà phê.",
            DESCRIPTION,
        );
        let pulper = supply(
            "Máy xát vỏ cà phê tươi",
            "Xát vỏ quả cà phê chín bằng trục đĩa, ít nước.",
            "Máy xát tươi công suất 2 tấn quả mỗi giờ, tách vỏ và thịt quả, dùng ít nước \
             rửa, phù hợp hợp tác xã nhỏ ở Tây Nguyên. Đã lắp đặt cho 8 hợp tác xã.",
        );
        assert_eq!(
            Fingerprint::of(&dryer).confirm(&Fingerprint::of(&pulper)),
            None
        );
    }

    #[test]
    fn short_titles_alone_are_not_enough_evidence() {
        let a = supply("Máy sấy", "", "");
        let b = supply("Máy sấy", "", "");
        assert_eq!(Fingerprint::of(&a).confirm(&Fingerprint::of(&b)), None);
    }

    #[test]
    fn chinese_text_is_shingled_by_character() {
        assert_eq!(words("热泵干燥 coffee"), ["热", "泵", "干", "燥", "coffee"]);
    }
}
