//! [`Scope`]: what one marketing report looks at, and the indexed computation of the
//! section, which fills a [`Partial`] keyed like the dataset.

use std::borrow::Cow;
use std::collections::BTreeSet;

use crate::calendar::{Period, Ts};
use crate::dataset::deal_index::{DealStage, created_between};
use crate::dataset::{CostRow, Dataset, Interner};
use crate::error::Result;
use crate::fold::Fold;
use crate::options::{Context, ReportOptions};

use super::filter::Filter;
use super::output::MarketingSection;
use super::partial::Partial;

/// What one marketing report looks at: a dataset, the period and previous period in a
/// calendar at `as_of`, and the source and product-type filters turned into the
/// dataset's keys (docs/metrics.md#marketing).
///
/// Build it once per report; [`section`](Scope::section) computes the section from the
/// dataset's time indexes. [`Partial`] computes the same section over shards of the
/// deals and costs.
///
/// Filter names are looked up once here, so that deciding whether a deal or cost passes
/// is two array reads, not string comparisons. A name the dataset does not know matches
/// nothing.
#[derive(Clone, Debug)]
pub struct Scope<'a> {
    dataset: &'a Dataset,
    /// The report's context, or a copy with a [`Filter`]'s period, sources and product
    /// types in place of its own.
    context: Cow<'a, Context>,
    /// By source key: whether that source's deals and costs pass the filter.
    sources: Vec<bool>,
    /// By product-type key: whether that type's deals and costs pass the filter.
    product_types: Vec<bool>,
    /// Whether deals and costs without a product type pass (no product-type filter).
    untyped: bool,
}

/// The instant right after `at` (one nanosecond later), so that `..next_instant(at)`
/// includes `at`.
fn next_instant(at: Ts) -> Ts {
    if at.nanos < 999_999_999 {
        Ts {
            secs: at.secs,
            nanos: at.nanos + 1,
        }
    } else {
        Ts {
            secs: at.secs.saturating_add(1),
            nanos: 0,
        }
    }
}

/// `true` for every key when `names` is empty ("all"), else for the keys of `names`.
fn wanted(interner: &Interner, names: &BTreeSet<String>) -> Vec<bool> {
    if names.is_empty() {
        return vec![true; interner.len()];
    }
    let mut keep = vec![false; interner.len()];
    for name in names {
        if let Some(slot) = interner
            .get(name)
            .and_then(|key| keep.get_mut(key as usize))
        {
            *slot = true;
        }
    }
    keep
}

impl<'a> Scope<'a> {
    /// The scope of a report: the context's period, previous period, sources and
    /// product types.
    pub fn new(dataset: &'a Dataset, context: &'a Context) -> Scope<'a> {
        Scope::build(dataset, Cow::Borrowed(context))
    }

    /// The scope of `filter` in the context's calendar at its `as_of`: the filter's
    /// period (resolved against the context's `today`), sources and product types take
    /// the place of the context's.
    ///
    /// # Errors
    /// [`Error::DateOutOfRange`](crate::Error::DateOutOfRange) when the period cannot
    /// be resolved (only at the edges of chrono's date range).
    pub fn with_filter(
        dataset: &'a Dataset,
        context: &Context,
        filter: &Filter,
    ) -> Result<Scope<'a>> {
        let options = ReportOptions::new(context.as_of).time_zone(context.calendar.clone());
        let context = filter.apply(options).resolve()?;
        Ok(Scope::build(dataset, Cow::Owned(context)))
    }

    fn build(dataset: &'a Dataset, context: Cow<'a, Context>) -> Scope<'a> {
        Scope {
            dataset,
            sources: wanted(&dataset.marketing_sources, &context.sources),
            product_types: wanted(&dataset.product_types, &context.product_types),
            untyped: context.product_types.is_empty(),
            context,
        }
    }

    /// The context the scope computes in (the period, the previous period, `as_of`).
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// The section (docs/metrics.md#marketing), reading only the deals and costs with an event in
    /// the period or the previous period: deals created in the period by binary search on
    /// the deals (sorted by `created_at`), deals handed over, turned into an opportunity
    /// or won by binary search on the dataset's stage index, costs by binary search on
    /// the costs (sorted by date). The result equals adding every deal and cost to a
    /// [`Partial`] and finishing it.
    ///
    /// # Errors
    /// [`Error::Overflow`](crate::Error::Overflow) when a sum does not fit in a decimal.
    pub fn section(&self) -> Result<MarketingSection> {
        let deals = &self.dataset.deals;
        let index = &self.dataset.deal_index;
        let context = &*self.context;
        let mut partial = Partial::for_dataset(&self.context, self.dataset);
        // Nothing after as_of counts (docs/metrics.md#conventions): search only up to it.
        let upto_as_of = |range: &std::ops::Range<Ts>| {
            let end = range.end.min(next_instant(context.as_of_ts));
            range.start..end.max(range.start)
        };
        let (current, prior) = (upto_as_of(&context.current), upto_as_of(&context.prior));
        // Every slice below is sorted by time and lies in the period up to as_of: the
        // day of an event is found by walking the days' ends alongside (no per-event
        // date arithmetic).
        let day_ends = context.day_ends();
        let created = deals
            .get(created_between(deals, &current))
            .unwrap_or_default();
        let mut day = 0;
        for deal in created {
            while day_ends.get(day).is_some_and(|&end| deal.created_at >= end) {
                day += 1;
            }
            if self.keeps(deal.source, deal.product_type.get()) {
                partial.deal_created_on(deal, deal.source as usize, day);
            }
        }
        // Hand-overs and opportunities only count per day: their index entries hold
        // all that takes, so the deal rows are not read; without a source or product
        // type filter, a day's count is the distance between two binary searches.
        let keeps_all = self.keeps_all();
        for (stage, column) in [(DealStage::HandedOver, 1), (DealStage::Opportunity, 2)] {
            let events = index.between(stage, &current);
            if keeps_all {
                let mut start = 0;
                for (row, &end) in partial.activity.iter_mut().zip(&day_ends) {
                    let rest = events.get(start..).unwrap_or_default();
                    let count = rest.partition_point(|e| e.at() < end);
                    row[column] += count as u64;
                    start += count;
                }
            } else {
                for event in events {
                    if self.keeps(event.source, event.product_type.get()) {
                        partial.deal_stage(Some(event.at()), column);
                    }
                }
            }
        }
        // Wins carry their revenue in the index: no deal row is read for them.
        let won = |range| {
            index
                .won_between(range)
                .filter(|win| self.keeps(win.event.source, win.event.product_type.get()))
        };
        for win in won(&current) {
            let e = win.event;
            partial.deal_won_current(
                Some(e.at()),
                e.source as usize,
                e.product_type.get().map(|key| key as usize),
                win.revenue,
            );
        }
        for win in won(&prior) {
            partial.deal_won_previous(Some(win.event.at()), win.revenue);
        }
        for cost in self.costs_within(self.context.period) {
            if self.keeps(cost.source, cost.product_type.get()) {
                partial.cost_current(
                    cost,
                    cost.source as usize,
                    cost.product_type.get().map(|key| key as usize),
                );
            }
        }
        for cost in self.costs_within(self.context.previous) {
            if self.keeps(cost.source, cost.product_type.get()) {
                partial.cost_previous(cost);
            }
        }
        // The partial's slots are this dataset's keys (`Partial::for_dataset`).
        partial.finish()
    }

    /// The costs dated in `period` and not after `today` (costs are sorted by date).
    fn costs_within(&self, period: Period) -> &'a [CostRow] {
        let costs = &self.dataset.costs;
        let last = period.end().min(self.context.today);
        let start = costs.partition_point(|c| c.date < period.start());
        let end = costs.partition_point(|c| c.date <= last);
        costs.get(start..end.max(start)).unwrap_or_default()
    }

    /// Whether every deal and cost passes the filters (no source or product type
    /// filter, or one naming every key the dataset has).
    fn keeps_all(&self) -> bool {
        self.untyped
            && self
                .sources
                .iter()
                .chain(&self.product_types)
                .all(|&keep| keep)
    }

    /// Whether a deal or cost of this source and product type passes the filters.
    #[inline]
    fn keeps(&self, source: u32, product_type: Option<u32>) -> bool {
        let typed = match product_type {
            Some(key) => self.product_types.get(key as usize).copied(),
            None => Some(self.untyped),
        };
        typed == Some(true) && self.sources.get(source as usize) == Some(&true)
    }
}
