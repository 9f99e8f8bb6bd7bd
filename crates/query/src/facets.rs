//! Facet counting: a collector that reads the facet fast fields of every matching document.

use std::collections::BTreeMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::filters::FacetDim;

/// Counts per value, per dimension.
pub type FacetCounts = BTreeMap<FacetDim, BTreeMap<String, u64>>;

/// Counts the values of some facet dimensions over the matching documents.
pub struct FacetCollector {
    dims: Vec<FacetDim>,
}

impl FacetCollector {
    /// A collector for these dimensions.
    pub fn new(dims: Vec<FacetDim>) -> Self {
        FacetCollector { dims }
    }
}

enum DimColumn {
    Str(Option<StrColumn>, Vec<u64>),
    Trl(Column<u64>, [u64; 10]),
}

/// The per-segment half of [`FacetCollector`].
pub struct FacetSegmentCollector {
    columns: Vec<(FacetDim, DimColumn)>,
}

impl Collector for FacetCollector {
    type Fruit = FacetCounts;
    type Child = FacetSegmentCollector;

    fn for_segment(
        &self,
        _ord: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<FacetSegmentCollector> {
        let fast = reader.fast_fields();
        let mut columns = Vec::with_capacity(self.dims.len());
        for &dim in &self.dims {
            let column = if dim == FacetDim::Trl {
                DimColumn::Trl(fast.u64(dim.field_name())?, [0; 10])
            } else {
                let column = fast.str(dim.field_name())?;
                let size = column.as_ref().map_or(0, |c| c.num_terms());
                DimColumn::Str(column, vec![0; size])
            };
            columns.push((dim, column));
        }
        Ok(FacetSegmentCollector { columns })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<FacetCounts>) -> tantivy::Result<FacetCounts> {
        let mut merged = FacetCounts::new();
        for dim in &self.dims {
            merged.entry(*dim).or_default();
        }
        for fruit in fruits {
            for (dim, counts) in fruit {
                let target = merged.entry(dim).or_default();
                for (value, count) in counts {
                    *target.entry(value).or_default() += count;
                }
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for FacetSegmentCollector {
    type Fruit = FacetCounts;

    fn collect(&mut self, doc: DocId, _score: Score) {
        for (_, column) in &mut self.columns {
            match column {
                DimColumn::Str(Some(column), counts) => {
                    for ord in column.term_ords(doc) {
                        counts[ord as usize] += 1;
                    }
                }
                DimColumn::Str(None, _) => {}
                DimColumn::Trl(column, counts) => {
                    for value in column.values_for_doc(doc) {
                        if let Some(slot) = counts.get_mut(value as usize) {
                            *slot += 1;
                        }
                    }
                }
            }
        }
    }

    fn harvest(self) -> FacetCounts {
        let mut out = FacetCounts::new();
        for (dim, column) in self.columns {
            let entry = out.entry(dim).or_default();
            match column {
                DimColumn::Str(Some(column), counts) => {
                    let mut text = String::new();
                    for (ord, count) in counts.into_iter().enumerate() {
                        if count > 0 && column.ord_to_str(ord as u64, &mut text).unwrap_or(false) {
                            *entry.entry(text.clone()).or_default() += count;
                        }
                    }
                }
                DimColumn::Str(None, _) => {}
                DimColumn::Trl(_, counts) => {
                    for (value, count) in counts.into_iter().enumerate() {
                        if count > 0 {
                            entry.insert(value.to_string(), count);
                        }
                    }
                }
            }
        }
        out
    }
}
