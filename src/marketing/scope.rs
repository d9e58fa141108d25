//! [`Scope`] (what one marketing report looks at) and [`Partial`] (its mergeable partial
//! state over deals and costs).

use std::borrow::Cow;
use std::collections::BTreeSet;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::calendar::{Period, Ts};
use crate::dataset::deal_index::{DealStage, created_between};
use crate::dataset::{CostRow, Dataset, DealRow, Interner};
use crate::error::Result;
use crate::money::{Cmp, DecimalSum};
use crate::report::{Context, ReportOptions};

use super::formula::{Funnel, aov, cohort_depth, cost_per, roi_of};
use super::{ActivityDay, Filter, MarketingSection, ProductTypeRevenue, ProductTypeRow, SourceRow};

/// What one marketing report looks at: a dataset, the period and previous period in a
/// calendar at `as_of`, and the source and product-type filters turned into the
/// dataset's keys (SPEC §5).
///
/// Build it once per report; [`section`](Scope::section) computes the section, and
/// [`partial`](Scope::partial) starts a mergeable [`Partial`] for computing it over
/// shards of the deals and costs.
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

    /// A partial state with nothing added yet.
    pub fn partial(&self) -> Partial<'_> {
        Partial {
            scope: self,
            current: Tally::default(),
            previous: Tally::default(),
            funnel: Funnel::default(),
            activity: vec![[0; 4]; self.context.period_days()],
            by_source: vec![(Funnel::default(), Tally::default()); self.sources.len()],
            // One slot per product type, and a last one for "no product type".
            by_type: vec![Tally::default(); self.product_types.len() + 1],
        }
    }

    /// The section (SPEC §5), reading only the deals and costs with an event in the
    /// period or the previous period: deals created in the period by binary search on
    /// the deals (sorted by `created_at`), deals handed over, turned into an opportunity
    /// or won by binary search on the dataset's stage index, costs by binary search on
    /// the costs (sorted by date). The result equals adding every deal and cost to a
    /// [`partial`](Scope::partial) and finishing it.
    ///
    /// # Errors
    /// [`Error::Overflow`](crate::Error::Overflow) when a sum does not fit in a decimal.
    pub fn section(&self) -> Result<MarketingSection> {
        let deals = &self.dataset.deals;
        let index = &self.dataset.deal_index;
        let context = &*self.context;
        let mut partial = self.partial();
        // Nothing after as_of counts (SPEC §1): search only up to it.
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
                partial.deal_created_on(deal, day);
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
            partial.deal_won_current(Some(e.at()), e.source, e.product_type.get(), win.revenue);
        }
        for win in won(&prior) {
            partial.deal_won_previous(Some(win.event.at()), win.revenue);
        }
        for cost in self.costs_within(self.context.period) {
            if self.keeps(cost.source, cost.product_type.get()) {
                partial.cost_current(cost);
            }
        }
        for cost in self.costs_within(self.context.previous) {
            if self.keeps(cost.source, cost.product_type.get()) {
                partial.cost_previous(cost);
            }
        }
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

    /// Dated in `period` and not after `today` (SPEC §5 `cost`).
    #[inline]
    fn cost_in(&self, period: Period, date: NaiveDate) -> bool {
        period.contains(date) && date <= self.context.today
    }
}

/// Money and counts of one period (or one source or product type in it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Tally {
    /// Deals won.
    won_deals: u64,
    /// Their summed revenue.
    revenue: DecimalSum,
    /// Summed cost amounts.
    cost: DecimalSum,
    /// Cost rows, amount 0 included (they give a row, SPEC §9.20).
    cost_rows: u64,
}

impl Tally {
    fn won(&mut self, revenue: Decimal) {
        self.won_deals += 1;
        self.revenue.add(revenue);
    }

    fn cost(&mut self, cost: &CostRow) {
        self.cost.add(cost.amount);
        self.cost_rows += 1;
    }

    fn merge(&mut self, other: &Tally) {
        self.won_deals += other.won_deals;
        self.revenue.merge(&other.revenue);
        self.cost.merge(&other.cost);
        self.cost_rows += other.cost_rows;
    }
}

/// The marketing section's mergeable partial state over deals and costs.
///
/// Add deals and costs by their position in the dataset (`0..dataset.deal_count()`,
/// `0..dataset.cost_count()`), in any order and any split; [`merge`](Partial::merge)
/// two partials of the same [`Scope`] and the result is the partial of the union.
/// Everything inside is a count or an exact [`DecimalSum`] (cohort membership is a fact
/// of one deal), so any split into shards, computed and merged, gives exactly the
/// section of the whole: deals and costs do not depend on customers (SPEC §9.20).
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, marketing, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(300).seed(3).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let scope = marketing::Scope::new(&dataset, &context);
///
/// // Two shards: even and odd positions.
/// let mut even = scope.partial();
/// even.add_deals((0..dataset.deal_count()).step_by(2));
/// even.add_costs((0..dataset.cost_count()).step_by(2));
/// let mut odd = scope.partial();
/// odd.add_deals((1..dataset.deal_count()).step_by(2));
/// odd.add_costs((1..dataset.cost_count()).step_by(2));
/// even.merge(odd);
/// assert_eq!(even.finish()?, scope.section()?);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Partial<'s> {
    scope: &'s Scope<'s>,
    current: Tally,
    previous: Tally,
    funnel: Funnel,
    /// By day of the period: created, handed over, opportunity, won.
    activity: Vec<[u64; 4]>,
    /// By source key: its cohort funnel and its tally in the period.
    by_source: Vec<(Funnel, Tally)>,
    /// By product-type key, then one slot for "no product type": tally in the period.
    by_type: Vec<Tally>,
}

impl Partial<'_> {
    /// Adds the deal at `position` in the dataset (deals are numbered in
    /// `(created_at, input order)` order). A position outside `0..deal_count()` adds
    /// nothing. Add each deal at most once.
    pub fn add_deal(&mut self, position: usize) {
        let scope = self.scope;
        let Some(deal) = scope.dataset.deals.get(position) else {
            return;
        };
        if !scope.keeps(deal.source, deal.product_type.get()) {
            return;
        }
        self.deal_created(deal);
        self.deal_stage(deal.handed_over_at, 1);
        self.deal_stage(deal.opportunity_at, 2);
        // A won deal always has a revenue (validation, SPEC §9.11).
        let revenue = deal.revenue.unwrap_or_default();
        self.deal_won_current(deal.won_at, deal.source, deal.product_type.get(), revenue);
        self.deal_won_previous(deal.won_at, revenue);
    }

    /// Adds the deals at these positions ([`add_deal`](Partial::add_deal)).
    pub fn add_deals(&mut self, positions: impl IntoIterator<Item = usize>) {
        for position in positions {
            self.add_deal(position);
        }
    }

    /// Adds the cost at `position` in the dataset (costs are numbered in
    /// `(date, input order)` order). A position outside `0..cost_count()` adds nothing.
    /// Add each cost at most once.
    pub fn add_cost(&mut self, position: usize) {
        let scope = self.scope;
        let Some(cost) = scope.dataset.costs.get(position) else {
            return;
        };
        if !scope.keeps(cost.source, cost.product_type.get()) {
            return;
        }
        self.cost_current(cost);
        self.cost_previous(cost);
    }

    /// Adds the costs at these positions ([`add_cost`](Partial::add_cost)).
    pub fn add_costs(&mut self, positions: impl IntoIterator<Item = usize>) {
        for position in positions {
            self.add_cost(position);
        }
    }

    /// Adds another partial state of the same [`Scope`], computed on other deals and
    /// costs. Exact: counts add and sums are exact decimal sums.
    pub fn merge(&mut self, other: Partial<'_>) {
        self.current.merge(&other.current);
        self.previous.merge(&other.previous);
        self.funnel.merge(&other.funnel);
        for (day, other_day) in self.activity.iter_mut().zip(&other.activity) {
            for (count, other_count) in day.iter_mut().zip(other_day) {
                *count += other_count;
            }
        }
        for ((funnel, tally), (other_funnel, other_tally)) in
            self.by_source.iter_mut().zip(&other.by_source)
        {
            funnel.merge(other_funnel);
            tally.merge(other_tally);
        }
        for (tally, other_tally) in self.by_type.iter_mut().zip(&other.by_type) {
            tally.merge(other_tally);
        }
    }

    /// A deal created in the period: the cohort funnel and `activity_daily.created`.
    #[inline]
    fn deal_created(&mut self, deal: &DealRow) {
        if let Some(day) = self.scope.context.period_day(deal.created_at) {
            self.deal_created_on(deal, day);
        }
    }

    /// A deal created in the period on its `day` (0 = the period's first day): the
    /// cohort funnel and `activity_daily.created`.
    #[inline]
    fn deal_created_on(&mut self, deal: &DealRow, day: usize) {
        let scope = self.scope;
        let stages = [
            Some(deal.created_at),
            deal.handed_over_at,
            deal.opportunity_at,
            deal.won_at,
        ];
        let depth = cohort_depth(stages, |at| scope.context.in_current(at));
        self.funnel.add_depth(depth);
        if let Some((funnel, _)) = self.by_source.get_mut(deal.source as usize) {
            funnel.add_depth(depth);
        }
        if let Some(row) = self.activity.get_mut(day) {
            row[0] += 1;
        }
    }

    /// A stage after creation, for `activity_daily` (column 1 handed over, 2 opportunity).
    #[inline]
    fn deal_stage(&mut self, at: Option<Ts>, column: usize) {
        let day = at.and_then(|at| self.scope.context.period_day(at));
        if let Some(count) = day
            .and_then(|day| self.activity.get_mut(day))
            .and_then(|row| row.get_mut(column))
        {
            *count += 1;
        }
    }

    /// A deal won in the period: revenue, `won_deals`, by source and product type, and
    /// `activity_daily.won`.
    #[inline]
    fn deal_won_current(
        &mut self,
        won_at: Option<Ts>,
        source: u32,
        product_type: Option<u32>,
        revenue: Decimal,
    ) {
        let Some(day) = won_at.and_then(|at| self.scope.context.period_day(at)) else {
            return;
        };
        self.current.won(revenue);
        if let Some((_, tally)) = self.by_source.get_mut(source as usize) {
            tally.won(revenue);
        }
        if let Some(tally) = self.type_slot(product_type) {
            tally.won(revenue);
        }
        if let Some(row) = self.activity.get_mut(day) {
            row[3] += 1;
        }
    }

    /// A deal won in the previous period: its revenue.
    #[inline]
    fn deal_won_previous(&mut self, won_at: Option<Ts>, revenue: Decimal) {
        if won_at.is_some_and(|at| self.scope.context.in_previous(at)) {
            self.previous.won(revenue);
        }
    }

    /// A cost dated in the period (up to `today`).
    #[inline]
    fn cost_current(&mut self, cost: &CostRow) {
        if !self.scope.cost_in(self.scope.context.period, cost.date) {
            return;
        }
        self.current.cost(cost);
        if let Some((_, tally)) = self.by_source.get_mut(cost.source as usize) {
            tally.cost(cost);
        }
        if let Some(tally) = self.type_slot(cost.product_type.get()) {
            tally.cost(cost);
        }
    }

    /// A cost dated in the previous period (up to `today`).
    #[inline]
    fn cost_previous(&mut self, cost: &CostRow) {
        if self.scope.cost_in(self.scope.context.previous, cost.date) {
            self.previous.cost(cost);
        }
    }

    /// The tally of a product type, or of "no product type" (the last slot).
    #[inline]
    fn type_slot(&mut self, product_type: Option<u32>) -> Option<&mut Tally> {
        let untyped = self.by_type.len().saturating_sub(1);
        self.by_type
            .get_mut(product_type.map_or(untyped, |key| key as usize))
    }

    /// The section (SPEC §5).
    ///
    /// # Errors
    /// [`Error::Overflow`](crate::Error::Overflow) naming the metric when a sum or a
    /// ratio does not fit in a decimal.
    pub fn finish(self) -> Result<MarketingSection> {
        let scope = self.scope;
        let dataset = scope.dataset;
        let revenue = Cmp::amounts(
            "marketing.revenue",
            self.current.revenue.finish("marketing.revenue")?,
            self.previous.revenue.finish("marketing.revenue")?,
        )?;
        let cost = Cmp::amounts(
            "marketing.cost",
            self.current.cost.finish("marketing.cost")?,
            self.previous.cost.finish("marketing.cost")?,
        )?;
        let roi = Cmp::ratios(
            "marketing.roi",
            roi_of("marketing.roi", revenue.current, cost.current)?,
            roi_of("marketing.roi", revenue.previous, cost.previous)?,
        )?;

        let activity_daily = scope
            .context
            .period
            .dates()
            .zip(&self.activity)
            .map(
                |(date, &[created, handed_over, opportunity, won])| ActivityDay {
                    date,
                    created,
                    handed_over,
                    opportunity,
                    won,
                },
            )
            .collect();

        let mut by_source = Vec::new();
        for (key, (funnel, tally)) in (0u32..).zip(&self.by_source) {
            if funnel.created == 0 && tally.won_deals == 0 && tally.cost_rows == 0 {
                continue;
            }
            let revenue = tally.revenue.finish("marketing.by_source.revenue")?;
            let cost = tally.cost.finish("marketing.by_source.cost")?;
            by_source.push(SourceRow {
                source: dataset.marketing_sources.resolve(key).to_owned(),
                created: funnel.created,
                handed_over: funnel.handed_over,
                opportunity: funnel.opportunity,
                won: funnel.won,
                won_deals: tally.won_deals,
                revenue,
                cost,
                roi: roi_of("marketing.by_source.roi", revenue, cost)?,
                opportunity_rate: funnel.opportunity_rate(),
                order_rate: funnel.order_rate(),
                cost_per_deal: cost_per(cost, funnel.created),
                cost_per_won: cost_per(cost, tally.won_deals),
            });
        }
        by_source.sort_unstable_by(|a, b| a.source.cmp(&b.source));

        let untyped = self.by_type.len().saturating_sub(1);
        let mut revenue_by_product_type = Vec::new();
        let mut by_product_type = Vec::new();
        for (slot, tally) in self.by_type.iter().enumerate() {
            let product_type = if slot == untyped {
                ""
            } else {
                dataset.product_types.resolve(slot as u32)
            };
            let revenue = tally
                .revenue
                .finish("marketing.revenue_by_product_type.revenue")?;
            if tally.won_deals > 0 {
                revenue_by_product_type.push(ProductTypeRevenue {
                    product_type: product_type.to_owned(),
                    revenue,
                    won_deals: tally.won_deals,
                });
            }
            // Deals and costs without a product type count in the totals only.
            if slot != untyped && (tally.won_deals > 0 || tally.cost_rows > 0) {
                let cost = tally.cost.finish("marketing.by_product_type.cost")?;
                by_product_type.push(ProductTypeRow {
                    product_type: product_type.to_owned(),
                    won_deals: tally.won_deals,
                    revenue,
                    cost,
                    roi: roi_of("marketing.by_product_type.roi", revenue, cost)?,
                });
            }
        }
        revenue_by_product_type.sort_unstable_by(|a, b| {
            b.revenue
                .cmp(&a.revenue)
                .then_with(|| a.product_type.cmp(&b.product_type))
        });
        by_product_type.sort_unstable_by(|a, b| a.product_type.cmp(&b.product_type));

        Ok(MarketingSection {
            opportunity_rate: self.funnel.opportunity_rate(),
            order_rate: self.funnel.order_rate(),
            won_deals: self.current.won_deals,
            aov: aov(revenue.current, self.current.won_deals),
            revenue,
            cost,
            roi,
            funnel: self.funnel,
            activity_daily,
            revenue_by_product_type,
            by_source,
            by_product_type,
        })
    }
}
