//! The shortlist of demand matching in one pass over the retrieval query.
//!
//! Demand matching keeps the best `limit` records by retrieval score and, for a demand that
//! names glossary concepts, also the best `quota` records in *other* languages than the
//! demand's (they can only match through the glossary, so they rarely reach the top on
//! score alone). That used to be two searches of the same query, the second with the
//! demand's language excluded: every matching record was scored twice. [`Shortlist`]
//! collects both lists while the query is evaluated once, reading the record's language
//! from the `lang` fast field. Ties break as tantivy's `TopDocs` breaks them (ascending
//! address), so the lists are the ones the two searches gave.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

/// Collects the best `limit` hits, and the best `quota` hits whose language is not
/// `lang` (records without a language count as other).
pub struct Shortlist {
    /// Hits kept overall.
    pub limit: usize,
    /// Hits kept among the records in other languages (0: none).
    pub quota: usize,
    /// The language code whose records the second list leaves out.
    pub lang: Option<String>,
}

/// What [`Shortlist`] found: both lists, best first.
pub type Lists = (Vec<(Score, DocAddress)>, Vec<(Score, DocAddress)>);

/// A hit in a heap whose top is the worst kept hit: lowest score, then highest address.
#[derive(Clone, Copy, PartialEq)]
struct Entry {
    score: Score,
    doc: DocId,
}

impl Eq for Entry {}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        // "Greater" is worse, so a max-heap's top is the first to leave.
        other
            .score
            .total_cmp(&self.score)
            .then_with(|| self.doc.cmp(&other.doc))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Keeps the best `capacity` entries.
struct Best {
    capacity: usize,
    heap: BinaryHeap<Entry>,
}

impl Best {
    fn new(capacity: usize) -> Best {
        Best {
            capacity,
            heap: BinaryHeap::with_capacity(capacity.min(4096) + 1),
        }
    }

    /// Whether `entry` would be kept (the heap has room, or it beats the worst kept).
    fn takes(&self, entry: &Entry) -> bool {
        self.capacity > 0
            && (self.heap.len() < self.capacity || self.heap.peek().is_some_and(|w| entry < w))
    }

    fn offer(&mut self, entry: Entry) {
        if !self.takes(&entry) {
            return;
        }
        if self.heap.len() < self.capacity {
            self.heap.push(entry);
        } else if let Some(mut worst) = self.heap.peek_mut() {
            *worst = entry;
        }
    }

    fn into_hits(self, segment: SegmentOrdinal) -> Vec<(Score, DocAddress)> {
        self.heap
            .into_iter()
            .map(|e| (e.score, DocAddress::new(segment, e.doc)))
            .collect()
    }
}

/// One segment's part of a [`Shortlist`].
pub struct ShortlistSegment {
    segment: SegmentOrdinal,
    all: Best,
    others: Best,
    /// The segment's `lang` column and the ordinal of the excluded language in it (`None`:
    /// no record of the segment has that language, so every record is "other").
    lang: Option<(StrColumn, u64)>,
}

impl SegmentCollector for ShortlistSegment {
    type Fruit = Lists;

    fn collect(&mut self, doc: DocId, score: Score) {
        let entry = Entry { score, doc };
        self.all.offer(entry);
        // The language is read only for a hit the second list would keep.
        if !self.others.takes(&entry) {
            return;
        }
        let same_language = self
            .lang
            .as_ref()
            .is_some_and(|(column, ord)| column.term_ords(doc).any(|o| o == *ord));
        if !same_language {
            self.others.offer(entry);
        }
    }

    fn harvest(self) -> Lists {
        (
            self.all.into_hits(self.segment),
            self.others.into_hits(self.segment),
        )
    }
}

impl Collector for Shortlist {
    type Fruit = Lists;
    type Child = ShortlistSegment;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<ShortlistSegment> {
        let lang = match (&self.lang, self.quota) {
            (Some(code), quota) if quota > 0 => match reader.fast_fields().str("lang")? {
                Some(column) => column
                    .dictionary()
                    .term_ord(code.as_bytes())?
                    .map(|ord| (column, ord)),
                None => None,
            },
            _ => None,
        };
        Ok(ShortlistSegment {
            segment,
            all: Best::new(self.limit),
            others: Best::new(self.quota),
            lang,
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Lists>) -> tantivy::Result<Lists> {
        let best = |mut hits: Vec<(Score, DocAddress)>, keep: usize| {
            hits.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            hits.truncate(keep);
            hits
        };
        let (all, others): (Vec<_>, Vec<_>) = fruits.into_iter().unzip();
        Ok((
            best(all.into_iter().flatten().collect(), self.limit),
            best(others.into_iter().flatten().collect(), self.quota),
        ))
    }
}
