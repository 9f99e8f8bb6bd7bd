//! One query word (or compound) over every text field as a single flat scorer.
//!
//! A word matches a field in several ways (exact form, folded form, spelling variants, a
//! typo, a completion), and it is scored as the best way per field, the fields then
//! combined as a disjunction-max with a tie breaker. Written as tantivy queries that is a
//! disjunction-max of disjunction-maxes: two levels of buffered unions per word, each
//! filling 4,096-document windows, and a seek into one of them (which is what an
//! intersection of required words does) rebuilds its window. [`FieldsMaxQuery`] computes
//! the same score from one flat list of the ways, advancing and seeking each of them
//! directly: nothing to buffer, nothing allocated per window, and cheap to seek.

use std::fmt;
use std::sync::Arc;

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TantivyError, Term, TERMINATED};

/// The best of each group's clauses, the groups combined as `max + tie_breaker × (sum −
/// max)` (tie breaker 1: the groups add up; 0: the best group alone).
pub struct FieldsMaxQuery {
    parts: Vec<(usize, Box<dyn Query>)>,
    tie_breaker: Score,
}

impl FieldsMaxQuery {
    /// A query over `parts`, each a group (field) number and a clause.
    /// The clauses of a group should be next to each other; they are put so.
    pub fn new(mut parts: Vec<(usize, Box<dyn Query>)>, tie_breaker: Score) -> FieldsMaxQuery {
        parts.sort_by_key(|(group, _)| *group);
        FieldsMaxQuery {
            parts,
            tie_breaker: tie_breaker.clamp(0.0, 1.0),
        }
    }
}

impl FieldsMaxQuery {
    /// The ways to match (any of them matches).
    pub fn parts(&self) -> impl Iterator<Item = &dyn Query> {
        self.parts.iter().map(|(_, query)| query.as_ref())
    }

    /// How the groups' scores combine: `max + tie_breaker × (sum − max)`.
    pub fn tie_breaker(&self) -> Score {
        self.tie_breaker
    }

    /// The weights of the parts, each with its group, in the order of [`Self::parts`],
    /// and the weight of the whole query built from those same weights (nothing is
    /// looked up twice): for a caller that scores the parts itself ([`crate::pruned`]).
    pub fn part_weights(
        &self,
        enable_scoring: EnableScoring<'_>,
    ) -> tantivy::Result<(Vec<PartWeight>, Box<dyn Weight>)> {
        let parts = self
            .parts
            .iter()
            .map(|(group, query)| Ok((*group, Arc::from(query.weight(enable_scoring)?))))
            .collect::<tantivy::Result<Vec<PartWeight>>>()?;
        let weight = Box::new(FieldsMaxWeight {
            parts: parts.clone(),
            tie_breaker: self.tie_breaker,
        });
        Ok((parts, weight))
    }

    /// The highest score the query can give, from the bounds of its clauses (`bound_of`,
    /// `None` when a clause's is unknown): the best bound per group, the groups combined as
    /// the scores are (the combination grows with each group's score, so it bounds them).
    pub fn upper_bound(
        &self,
        bound_of: &dyn Fn(&dyn Query) -> tantivy::Result<Option<Score>>,
    ) -> tantivy::Result<Option<Score>> {
        let (mut max, mut sum) = (0.0 as Score, 0.0 as Score);
        let (mut group, mut best) = (usize::MAX, 0.0 as Score);
        for (part_group, query) in &self.parts {
            let Some(bound) = bound_of(query.as_ref())? else {
                return Ok(None);
            };
            if *part_group == group {
                best = best.max(bound);
            } else {
                max = max.max(best);
                sum += best;
                group = *part_group;
                best = bound;
            }
        }
        max = max.max(best);
        sum += best;
        Ok(Some(max + (sum - max) * self.tie_breaker))
    }
}

impl Clone for FieldsMaxQuery {
    fn clone(&self) -> Self {
        FieldsMaxQuery {
            parts: self
                .parts
                .iter()
                .map(|(group, query)| (*group, query.box_clone()))
                .collect(),
            tie_breaker: self.tie_breaker,
        }
    }
}

impl fmt::Debug for FieldsMaxQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FieldsMaxQuery")
            .field("parts", &self.parts)
            .field("tie_breaker", &self.tie_breaker)
            .finish()
    }
}

impl Query for FieldsMaxQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(self.part_weights(enable_scoring)?.1)
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for (_, query) in &self.parts {
            query.query_terms(visitor);
        }
    }
}

/// A part's group and weight.
pub type PartWeight = (usize, Arc<dyn Weight>);

struct FieldsMaxWeight {
    parts: Vec<PartWeight>,
    tie_breaker: Score,
}

impl Weight for FieldsMaxWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut children = Vec::with_capacity(self.parts.len());
        for (group, weight) in &self.parts {
            let scorer = weight.scorer(reader, boost)?;
            if scorer.doc() != TERMINATED {
                children.push((*group, scorer));
            }
        }
        if children.len() == 1 {
            // One way to match: max and tie breaker leave its score as it is.
            return Ok(children.pop().expect("one child").1);
        }
        Ok(Box::new(FieldsMaxScorer::new(children, self.tie_breaker)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!(
                "document #{doc} does not match"
            )));
        }
        let description = format!(
            "best match per field, fields combined with tie breaker {}",
            self.tie_breaker
        );
        let mut explanation = Explanation::new_with_string(description, scorer.score());
        for (_, weight) in &self.parts {
            if let Ok(child) = weight.explain(reader, doc) {
                explanation.add_detail(child);
            }
        }
        Ok(explanation)
    }
}

struct FieldsMaxScorer {
    children: Vec<Box<dyn Scorer>>,
    /// Each child's group.
    groups: Vec<usize>,
    /// Each child's current document, kept here so that moving on touches only the
    /// children on the current document.
    docs: Vec<DocId>,
    doc: DocId,
    tie_breaker: Score,
}

impl FieldsMaxScorer {
    fn new(children: Vec<(usize, Box<dyn Scorer>)>, tie_breaker: Score) -> FieldsMaxScorer {
        let (groups, children): (Vec<usize>, Vec<Box<dyn Scorer>>) = children.into_iter().unzip();
        let docs: Vec<DocId> = children.iter().map(|c| c.doc()).collect();
        let doc = docs.iter().copied().min().unwrap_or(TERMINATED);
        FieldsMaxScorer {
            children,
            groups,
            docs,
            doc,
            tie_breaker,
        }
    }
}

impl DocSet for FieldsMaxScorer {
    fn advance(&mut self) -> DocId {
        let current = self.doc;
        let mut next = TERMINATED;
        for (doc, child) in self.docs.iter_mut().zip(&mut self.children) {
            if *doc == current {
                *doc = child.advance();
            }
            next = next.min(*doc);
        }
        self.doc = next;
        next
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        let mut next = TERMINATED;
        for (doc, child) in self.docs.iter_mut().zip(&mut self.children) {
            if *doc < target {
                *doc = child.seek(target);
            }
            next = next.min(*doc);
        }
        self.doc = next;
        next
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.children
            .iter()
            .map(|c| c.size_hint())
            .max()
            .unwrap_or(0)
    }

    fn cost(&self) -> u64 {
        self.children.iter().map(|c| c.cost()).sum()
    }
}

impl Scorer for FieldsMaxScorer {
    fn score(&mut self) -> Score {
        let mut combined = Combined::default();
        for (i, doc) in self.docs.iter().enumerate() {
            if *doc == self.doc {
                combined.add(self.groups[i], self.children[i].score());
            }
        }
        combined.finish(self.tie_breaker)
    }
}

/// A [`FieldsMaxQuery`]'s score folded from its matching parts' scores, given in part
/// order (a group's parts are next to each other): one pass keeps the current group's
/// best and folds it in when the group changes. Whoever scores the parts itself
/// ([`crate::pruned`]) folds them here too, so that the sum is the very same number.
#[derive(Clone, Copy)]
pub(crate) struct Combined {
    max: Score,
    sum: Score,
    group: usize,
    best: Score,
}

impl Default for Combined {
    fn default() -> Self {
        Combined {
            max: 0.0,
            sum: 0.0,
            group: usize::MAX,
            best: 0.0,
        }
    }
}

impl Combined {
    /// Adds the score of a matching part of `group`.
    #[inline]
    pub(crate) fn add(&mut self, group: usize, score: Score) {
        if group == self.group {
            self.best = self.best.max(score);
        } else {
            self.max = self.max.max(self.best);
            self.sum += self.best;
            self.group = group;
            self.best = score;
        }
    }

    /// `max + tie_breaker × (sum − max)` over the groups' bests.
    #[inline]
    pub(crate) fn finish(self, tie_breaker: Score) -> Score {
        let max = self.max.max(self.best);
        let sum = self.sum + self.best;
        max + (sum - max) * tie_breaker
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::TopDocs;
    use tantivy::query::{BooleanQuery, BoostQuery, DisjunctionMaxQuery, Occur, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, TEXT};
    use tantivy::{doc, Index};

    /// Flat scores equal the nested disjunction-max queries they replace, for every
    /// document and tie breaker.
    #[test]
    fn scores_equal_nested_disjunction_max() {
        let mut builder = Schema::builder();
        let a = builder.add_text_field("a", TEXT);
        let b = builder.add_text_field("b", TEXT);
        let index = Index::create_in_ram(builder.build());
        let mut writer: tantivy::IndexWriter =
            index.writer_with_num_threads(1, 15_000_000).unwrap();
        let words = [
            "lua",
            "gao",
            "lua gao",
            "gao gao lua",
            "ca phe",
            "lua lua lua",
        ];
        for (i, x) in words.iter().enumerate() {
            let y = words[(i * 7 + 3) % words.len()];
            writer.add_document(doc!(a => *x, b => y)).unwrap();
        }
        writer.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let term = |field, text: &str, boost: f32| -> Box<dyn Query> {
            Box::new(BoostQuery::new(
                Box::new(TermQuery::new(
                    Term::from_field_text(field, text),
                    IndexRecordOption::WithFreqs,
                )),
                boost,
            ))
        };
        for tie in [0.0, 0.3, 1.0] {
            let nested: Box<dyn Query> = {
                let per_field = vec![
                    Box::new(DisjunctionMaxQuery::new(vec![
                        term(a, "lua", 3.0),
                        term(a, "gao", 1.0),
                    ])) as Box<dyn Query>,
                    Box::new(DisjunctionMaxQuery::new(vec![
                        term(b, "lua", 1.5),
                        term(b, "phe", 2.0),
                    ])),
                ];
                if tie >= 1.0 {
                    Box::new(BooleanQuery::new(
                        per_field.into_iter().map(|q| (Occur::Should, q)).collect(),
                    ))
                } else {
                    Box::new(DisjunctionMaxQuery::with_tie_breaker(per_field, tie))
                }
            };
            let flat = FieldsMaxQuery::new(
                vec![
                    (0, term(a, "lua", 3.0)),
                    (0, term(a, "gao", 1.0)),
                    (1, term(b, "lua", 1.5)),
                    (1, term(b, "phe", 2.0)),
                ],
                tie,
            );
            let top = TopDocs::with_limit(10).order_by_score();
            let mut want = searcher.search(&nested, &top).unwrap();
            let mut got = searcher.search(&flat, &top).unwrap();
            want.sort_by_key(|h| h.1);
            got.sort_by_key(|h| h.1);
            assert_eq!(want.len(), got.len(), "tie {tie}");
            for ((ws, wa), (gs, ga)) in want.iter().zip(&got) {
                assert_eq!(wa, ga);
                assert!((ws - gs).abs() < 1e-5, "tie {tie}: {ws} against {gs}");
            }
            // Seeking (as an intersection does) lands on the same documents.
            let weight = flat
                .weight(EnableScoring::enabled_from_searcher(&searcher))
                .unwrap();
            let mut scorer = weight.scorer(searcher.segment_reader(0), 1.0).unwrap();
            let mut seen = Vec::new();
            let mut target = 0;
            while scorer.seek(target) != TERMINATED {
                seen.push(scorer.doc());
                target = scorer.doc() + 2;
            }
            let all: Vec<DocId> = want.iter().map(|h| h.1.doc_id).collect();
            let mut expected = Vec::new();
            let mut target = 0;
            for doc in all {
                if doc >= target {
                    expected.push(doc);
                    target = doc + 2;
                }
            }
            assert_eq!(seen, expected, "tie {tie}");
        }
    }
}
