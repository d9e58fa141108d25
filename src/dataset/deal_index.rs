//! [`DealIndex`]: deals by the time of each later stage, so that "deals handed over /
//! turned into an opportunity / won in a period" is a binary search, not a scan.
//!
//! `Dataset::deals` is sorted by `created_at`, which finds the deals *created* in a
//! period. A deal won in a period may have been created any time before it, so without
//! this index the marketing section would read every deal created before the period's
//! end. With it, a report reads only the deals that have an event in its periods.

use std::ops::Range;

use rust_decimal::Decimal;

use crate::calendar::Ts;
use crate::dataset::index::DealRow;
use crate::dataset::storage::OptKey;

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

/// One deal reaching one stage: its instant, the deal's position in `Dataset::deals`,
/// and what the filters of docs/metrics.md#marketing look at. 24 bytes, so that counting stage events
/// per day and filtering them reads these entries front to back, never the 128-byte
/// deal rows (a report then reads a deal row only for the revenue of a won deal).
/// Reading rows through a list of positions sorted by another time is a cache miss per
/// row once the deals outgrow the cache: with 1M customers that made the section as
/// slow as scanning every deal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StageEvent {
    secs: i64,
    nanos: u32,
    /// Position of the deal in `Dataset::deals`.
    pub(crate) position: u32,
    /// The deal's source (key in `Dataset::marketing_sources`).
    pub(crate) source: u32,
    /// The deal's product type (key in `Dataset::product_types`).
    pub(crate) product_type: OptKey,
}

impl StageEvent {
    /// The event of `deal`, at `position` in `Dataset::deals`, reaching `stage`; `None`
    /// when the deal has not reached it.
    fn of(deal: &DealRow, position: u32, stage: DealStage) -> Option<StageEvent> {
        let at = stage.at(deal)?;
        Some(StageEvent {
            secs: at.secs,
            nanos: at.nanos,
            position,
            source: deal.source,
            product_type: deal.product_type,
        })
    }

    /// When the deal reached the stage.
    #[inline]
    pub(crate) fn at(&self) -> Ts {
        Ts {
            secs: self.secs,
            nanos: self.nanos,
        }
    }
}

/// The deals that reached each later stage, as [`StageEvent`]s sorted by (that stage's
/// instant, position). 24 bytes per deal and stage reached.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct DealIndex {
    handed_over: Vec<StageEvent>,
    opportunity: Vec<StageEvent>,
    won: Vec<StageEvent>,
    /// The revenue of each won deal, aligned with `won`, so that revenue in a period
    /// reads no deal row either (a won deal always has a revenue, docs/input-format.md#dealscsv).
    won_revenue: Vec<Decimal>,
}

/// A deal won: its index entry and its revenue.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Win<'a> {
    pub(crate) event: &'a StageEvent,
    pub(crate) revenue: Decimal,
}

/// The revenue of each event's deal (zero when it has none): `won_revenue` for `events`.
fn revenues_of(deals: &[DealRow], events: &[StageEvent]) -> Vec<Decimal> {
    events
        .iter()
        .map(|e| {
            deals
                .get(e.position as usize)
                .and_then(|d| d.revenue)
                .unwrap_or_default()
        })
        .collect()
}

impl DealIndex {
    /// Indexes `deals` (the dataset's deals, fewer than 2^32 of them: the builder checks).
    pub(crate) fn new(deals: &[DealRow]) -> DealIndex {
        let sorted = |stage: DealStage| {
            let mut events: Vec<StageEvent> = deals
                .iter()
                .zip(0u32..)
                .filter_map(|(deal, position)| StageEvent::of(deal, position, stage))
                .collect();
            // Deals are sorted by created_at and stages follow it, so this is nearly
            // sorted already; the position breaks ties, keeping the order deterministic.
            events.sort_unstable_by_key(|e| (e.at(), e.position));
            events.shrink_to_fit();
            events
        };
        let won = sorted(DealStage::Won);
        let won_revenue = revenues_of(deals, &won);
        DealIndex {
            handed_over: sorted(DealStage::HandedOver),
            opportunity: sorted(DealStage::Opportunity),
            won,
            won_revenue,
        }
    }

    /// Brings the index up to date after [`Dataset::apply`](super::Dataset::apply)
    /// rewrote `deals`: `old_to_new[p]` is the new position of the deal at old position
    /// `p` (`u32::MAX` for a deal removed or replaced), `added` the new positions of the
    /// deals added or replaced. Order is kept: positions of kept deals grow with their old
    /// ones. Cost: one pass over the events (remapping positions), plus the `memmove`s
    /// that insert the added deals' events.
    pub(crate) fn update(&mut self, deals: &[DealRow], old_to_new: &[u32], added: &[u32]) {
        for stage in [
            DealStage::HandedOver,
            DealStage::Opportunity,
            DealStage::Won,
        ] {
            let won = stage == DealStage::Won;
            let events = match stage {
                DealStage::HandedOver => &mut self.handed_over,
                DealStage::Opportunity => &mut self.opportunity,
                DealStage::Won => &mut self.won,
            };
            let mut write = 0;
            for read in 0..events.len() {
                let mut event = events[read];
                let position = old_to_new
                    .get(event.position as usize)
                    .copied()
                    .unwrap_or(u32::MAX);
                if position == u32::MAX {
                    continue;
                }
                event.position = position;
                events[write] = event;
                if won && let Some(&revenue) = self.won_revenue.get(read) {
                    self.won_revenue[write] = revenue;
                }
                write += 1;
            }
            events.truncate(write);
            if won {
                self.won_revenue.truncate(write);
            }
            let mut fresh: Vec<StageEvent> = added
                .iter()
                .filter_map(|&p| StageEvent::of(deals.get(p as usize)?, p, stage))
                .collect();
            fresh.sort_unstable_by_key(|e| (e.at(), e.position));
            let at: Vec<usize> = fresh
                .iter()
                .map(|f| events.partition_point(|e| (e.at(), e.position) < (f.at(), f.position)))
                .collect();
            let pieces = super::splice::insertions(events.len(), &at);
            super::splice::splice(events, &pieces, &fresh);
            if won {
                let revenues = revenues_of(deals, &fresh);
                super::splice::splice(&mut self.won_revenue, &pieces, &revenues);
            }
        }
    }

    /// Brings the index up to date after [`Dataset::apply`](super::Dataset::apply)
    /// rewrote `deals` without moving any deal it kept (deals replaced where they were,
    /// new ones after every kept one): removes the entries of the deals of `removed`
    /// (their old position and row) and adds those of the deals at positions `added`.
    /// Cost: a binary search per entry changed and the `memmove`s from the first change
    /// on; the other entries are not read.
    pub(crate) fn replace(&mut self, deals: &[DealRow], removed: &[(u32, DealRow)], added: &[u32]) {
        for stage in [
            DealStage::HandedOver,
            DealStage::Opportunity,
            DealStage::Won,
        ] {
            let won = stage == DealStage::Won;
            let events = match stage {
                DealStage::HandedOver => &mut self.handed_over,
                DealStage::Opportunity => &mut self.opportunity,
                DealStage::Won => &mut self.won,
            };
            let mut gone: Vec<(Ts, u32)> = removed
                .iter()
                .filter_map(|(position, deal)| Some((stage.at(deal)?, *position)))
                .collect();
            gone.sort_unstable();
            let mut fresh: Vec<StageEvent> = added
                .iter()
                .filter_map(|&p| StageEvent::of(deals.get(p as usize)?, p, stage))
                .collect();
            fresh.sort_unstable_by_key(|e| (e.at(), e.position));
            if gone.is_empty() && fresh.is_empty() {
                continue;
            }
            let keys: Vec<(Ts, u32)> = fresh.iter().map(|e| (e.at(), e.position)).collect();
            let pieces =
                super::splice::replacement_pieces(events, &gone, &keys, |e| (e.at(), e.position));
            super::splice::splice(events, &pieces, &fresh);
            if won {
                let revenues = revenues_of(deals, &fresh);
                super::splice::splice(&mut self.won_revenue, &pieces, &revenues);
            }
        }
    }

    /// The deals won in `range` (half-open), with their revenue, in (instant, position)
    /// order.
    pub(crate) fn won_between(&self, range: &Range<Ts>) -> impl Iterator<Item = Win<'_>> {
        let start = self.won.partition_point(|e| e.at() < range.start);
        let end = self.won.partition_point(|e| e.at() < range.end).max(start);
        let events = self.won.get(start..end).unwrap_or_default();
        let revenues = self.won_revenue.get(start..end).unwrap_or_default();
        events
            .iter()
            .zip(revenues)
            .map(|(event, &revenue)| Win { event, revenue })
    }

    /// The deals whose `stage` instant is in `range` (half-open), in (instant, position)
    /// order: two binary searches.
    pub(crate) fn between(&self, stage: DealStage, range: &Range<Ts>) -> &[StageEvent] {
        let events = match stage {
            DealStage::HandedOver => &self.handed_over,
            DealStage::Opportunity => &self.opportunity,
            DealStage::Won => &self.won,
        };
        let start = events.partition_point(|e| e.at() < range.start);
        let end = events.partition_point(|e| e.at() < range.end);
        events.get(start..end.max(start)).unwrap_or_default()
    }

    /// Bytes held, for [`Dataset::heap_bytes`](super::Dataset::heap_bytes).
    pub(crate) fn heap_bytes(&self) -> usize {
        (self.handed_over.capacity() + self.opportunity.capacity() + self.won.capacity())
            * std::mem::size_of::<StageEvent>()
            + self.won_revenue.capacity() * std::mem::size_of::<Decimal>()
    }
}

crate::dataset::codec::fixed_record!(StageEvent {
    secs: i64,
    nanos: u32,
    position: u32,
    source: u32,
    product_type: OptKey,
});

crate::dataset::codec::codec_record!(DealIndex {
    handed_over: Vec<StageEvent>,
    opportunity: Vec<StageEvent>,
    won: Vec<StageEvent>,
    won_revenue: Vec<Decimal>,
});

impl DealIndex {
    /// Whether every entry names a deal among `deals` and keys among `sources` and
    /// `product_types`, with one revenue per win (a decoded snapshot is checked so).
    pub(crate) fn references_within(
        &self,
        deals: usize,
        sources: usize,
        product_types: usize,
    ) -> bool {
        let ok = |e: &StageEvent| {
            (e.position as usize) < deals
                && (e.source as usize) < sources
                && e.product_type
                    .get()
                    .is_none_or(|k| (k as usize) < product_types)
        };
        self.won_revenue.len() == self.won.len()
            && [&self.handed_over, &self.opportunity, &self.won]
                .iter()
                .all(|events| events.iter().all(ok))
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

    fn deal(created: i64, handed: Option<i64>, won: Option<i64>) -> DealRow {
        DealRow {
            created_at: Ts::from_secs(created),
            handed_over_at: handed.map(Ts::from_secs),
            opportunity_at: None,
            won_at: won.map(Ts::from_secs),
            revenue: None,
            source: 7,
            product_type: OptKey::NONE,
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
        let positions = |stage, range| -> Vec<u32> {
            index
                .between(stage, &range)
                .iter()
                .map(|e| e.position)
                .collect()
        };
        // won at 20 (position 2) and 30 (position 3) are in [20, 50); 50 is not.
        assert_eq!(positions(DealStage::Won, r(20, 50)), [2, 3]);
        assert_eq!(positions(DealStage::Won, r(0, 100)), [2, 3, 0]);
        assert!(positions(DealStage::Won, r(31, 50)).is_empty());
        assert_eq!(positions(DealStage::HandedOver, r(3, 6)), [2, 0]);
        assert!(positions(DealStage::Opportunity, r(0, 100)).is_empty());
        // An empty (inverted) range gives nothing, never a panic.
        assert!(positions(DealStage::Won, r(40, 10)).is_empty());
        let event = index.between(DealStage::Won, &r(30, 31))[0];
        assert_eq!((event.at(), event.source), (Ts::from_secs(30), 7));
        assert_eq!(created_between(&deals, &r(1, 10)), 1..3);
        assert_eq!(created_between(&deals, &r(5, 1)), 3..3);
        // 3 deals handed over + 0 opportunities + 3 won, 24 bytes each, and a 16-byte
        // revenue per win
        assert_eq!(size_of::<StageEvent>(), 24);
        assert_eq!(index.heap_bytes(), 6 * 24 + 3 * 16);
        let wins: Vec<u32> = index
            .won_between(&r(20, 50))
            .map(|w| w.event.position)
            .collect();
        assert_eq!(wins, [2, 3]);
    }
}
