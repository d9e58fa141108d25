//! [`DealIndex`]: deals by the time of each later stage, so that "deals handed over /
//! turned into an opportunity / won in a period" is a binary search, not a scan.
//!
//! `Dataset::deals` is sorted by `created_at`, which finds the deals *created* in a
//! period. A deal won in a period may have been created any time before it, so without
//! this index the marketing section would read every deal created before the period's
//! end. With it, a report reads only the deals that have an event in its periods.

use std::ops::Range;

use crate::calendar::Ts;
use crate::dataset::index::DealRow;

/// A deal stage after creation, whose instants [`DealIndex`] sorts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DealStage {
    /// `handed_over_at`.
    HandedOver,
    /// `opportunity_at`.
    Opportunity,
    /// `won_at`.
    Won,
}

impl DealStage {
    /// The deal's instant of this stage, if it reached it.
    #[inline]
    pub(crate) fn at(self, deal: &DealRow) -> Option<Ts> {
        match self {
            DealStage::HandedOver => deal.handed_over_at,
            DealStage::Opportunity => deal.opportunity_at,
            DealStage::Won => deal.won_at,
        }
    }
}

/// Positions in `Dataset::deals` of the deals that reached each later stage, sorted by
/// (that stage's instant, position). 4 bytes per deal and reached stage.
#[derive(Clone, Debug, Default)]
pub(crate) struct DealIndex {
    handed_over: Vec<u32>,
    opportunity: Vec<u32>,
    won: Vec<u32>,
}

impl DealIndex {
    /// Indexes `deals` (the dataset's deals, fewer than 2^32 of them: the builder checks).
    pub(crate) fn new(deals: &[DealRow]) -> DealIndex {
        let sorted = |stage: DealStage| {
            let mut keyed: Vec<(Ts, u32)> = deals
                .iter()
                .zip(0u32..)
                .filter_map(|(deal, position)| Some((stage.at(deal)?, position)))
                .collect();
            // Deals are sorted by created_at and stages follow it, so this is nearly
            // sorted already; the position breaks ties, keeping the order deterministic.
            keyed.sort_unstable();
            // A fresh vector: collecting in place would keep the 6x larger buffer.
            let mut positions = Vec::with_capacity(keyed.len());
            positions.extend(keyed.iter().map(|&(_, position)| position));
            positions
        };
        DealIndex {
            handed_over: sorted(DealStage::HandedOver),
            opportunity: sorted(DealStage::Opportunity),
            won: sorted(DealStage::Won),
        }
    }

    /// Positions of the deals whose `stage` instant is in `range` (half-open), in
    /// (instant, position) order. `deals` must be the slice the index was built from.
    pub(crate) fn between(&self, deals: &[DealRow], stage: DealStage, range: &Range<Ts>) -> &[u32] {
        let positions = match stage {
            DealStage::HandedOver => &self.handed_over,
            DealStage::Opportunity => &self.opportunity,
            DealStage::Won => &self.won,
        };
        // Every listed position is a deal of `deals` that reached `stage`; `None` (a
        // foreign slice) sorts first and so can only shrink the answer, never panic.
        let at = |position: &u32| deals.get(*position as usize).and_then(|d| stage.at(d));
        let start = positions.partition_point(|p| at(p) < Some(range.start));
        let end = positions.partition_point(|p| at(p) < Some(range.end));
        positions.get(start..end.max(start)).unwrap_or_default()
    }

    /// Bytes held, for [`Dataset::heap_bytes`](super::Dataset::heap_bytes).
    pub(crate) fn heap_bytes(&self) -> usize {
        (self.handed_over.capacity() + self.opportunity.capacity() + self.won.capacity()) * 4
    }
}

/// Positions of the deals created in `range` (half-open): `deals` is sorted by
/// `created_at`, so this is two binary searches.
pub(crate) fn created_between(deals: &[DealRow], range: &Range<Ts>) -> Range<usize> {
    let start = deals.partition_point(|d| d.created_at < range.start);
    let end = deals.partition_point(|d| d.created_at < range.end);
    start..end.max(start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::index::OptKey;

    fn deal(created: i64, handed: Option<i64>, won: Option<i64>) -> DealRow {
        DealRow {
            created_at: Ts::from_secs(created),
            handed_over_at: handed.map(Ts::from_secs),
            opportunity_at: None,
            won_at: won.map(Ts::from_secs),
            revenue: None,
            source: 0,
            product_type: OptKey::NONE,
            customer: None,
        }
    }

    #[test]
    fn stages_in_a_range_by_binary_search() {
        // Sorted by created_at; won times out of creation order.
        let deals = [
            deal(0, Some(5), Some(50)),
            deal(1, None, None),
            deal(2, Some(3), Some(20)),
            deal(10, Some(10), Some(30)),
        ];
        let index = DealIndex::new(&deals);
        let r = |a, b| Ts::from_secs(a)..Ts::from_secs(b);
        // won at 20 (position 2) and 30 (position 3) are in [20, 50); 50 is not.
        assert_eq!(index.between(&deals, DealStage::Won, &r(20, 50)), &[2, 3]);
        assert_eq!(
            index.between(&deals, DealStage::Won, &r(0, 100)),
            &[2, 3, 0]
        );
        assert!(index.between(&deals, DealStage::Won, &r(31, 50)).is_empty());
        assert_eq!(
            index.between(&deals, DealStage::HandedOver, &r(3, 6)),
            &[2, 0]
        );
        assert!(
            index
                .between(&deals, DealStage::Opportunity, &r(0, 100))
                .is_empty()
        );
        // An empty (inverted) range gives nothing, never a panic.
        assert!(index.between(&deals, DealStage::Won, &r(40, 10)).is_empty());
        assert_eq!(created_between(&deals, &r(1, 10)), 1..3);
        assert_eq!(created_between(&deals, &r(5, 1)), 3..3);
        // 3 deals handed over + 0 opportunities + 3 won, 4 bytes each
        assert_eq!(index.heap_bytes(), 6 * 4);
    }
}
