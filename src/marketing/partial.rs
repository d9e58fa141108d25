//! [`Partial`]: the marketing section's mergeable partial state over deals and costs.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::calendar::{Period, Ts};
use crate::dataset::OptKey;
use crate::dataset::{CostRow, CustomerIdx, Dataset, DealRow};
use crate::error::Result;
use crate::fold::{Fold, Section};
use crate::money::{Comparison, DecimalSum};
use crate::options::{Context, ReportOptions};

use super::formula::{Funnel, aov, cohort_depth, cost_per, roi_of};
use super::output::{ActivityDay, MarketingSection, ProductTypeRevenue, ProductTypeRow, SourceRow};

/// Money and counts of one period (or one source or product type in it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Tally {
    /// Deals won.
    won_deals: u64,
    /// Revenue of the deals won.
    revenue: DecimalSum,
    /// Sum of the cost rows.
    cost: DecimalSum,
    /// Cost rows (a row of amount 0 still makes its source appear).
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
/// Marketing folds **deals and costs, not customers**: a deal's source and a cost row
/// belong to no customer's rows (a deal's customer is optional, a cost has none), so
/// the same verbs apply to events: make one from the options ([`Fold::new`]), add deals
/// and costs by their position in the dataset ([`add_deal`](Partial::add_deal),
/// [`add_cost`](Partial::add_cost), or ranges), [`merge`](Fold::merge), and
/// [`finish`](Fold::finish). It implements [`Fold`] so that it sits beside the customer
/// sections in one contract; its [`add_customer`](Fold::add_customer) adds nothing.
///
/// Everything inside is a count or an exact [`DecimalSum`] (cohort membership is a fact
/// of one deal), keyed by the source and product-type text of the input, never by a
/// dataset's interned keys, so any split into shards, computed (in any process, with
/// the `serde` feature) and merged, gives exactly the section of the whole: deals and
/// costs do not depend on customers (docs/metrics.md#which-rows-count).
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::fold::Fold;
/// use crm_metrics::{ReportOptions, marketing, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(300).seed(3).as_of(as_of).dataset()?;
/// let options = ReportOptions::new(as_of);
///
/// // Two shards: even and odd positions.
/// let mut even = marketing::Partial::new(&options)?;
/// even.add_deals(&dataset, (0..dataset.deal_count()).step_by(2));
/// even.add_costs(&dataset, (0..dataset.cost_count()).step_by(2));
/// let mut odd = marketing::Partial::new(&options)?;
/// odd.add_deals(&dataset, (1..dataset.deal_count()).step_by(2));
/// odd.add_costs(&dataset, (1..dataset.cost_count()).step_by(2));
/// even.merge(odd)?;
/// assert_eq!(even.finish()?, marketing::section(&dataset, &options.resolve()?)?);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Partial {
    context: Context,
    current: Tally,
    previous: Tally,
    funnel: Funnel,
    /// By day of the period: created, handed over, opportunity, won.
    pub(super) activity: Vec<[u64; 4]>,
    /// Source names, by slot.
    sources: Vec<String>,
    /// By source slot: its cohort funnel and its tally in the period.
    by_source: Vec<(Funnel, Tally)>,
    /// Product-type names, by slot.
    product_types: Vec<String>,
    /// By product-type slot: tally in the period.
    by_type: Vec<Tally>,
    /// Deals and costs with no product type: tally in the period.
    untyped: Tally,
}

impl Partial {
    /// An empty partial state for the report resolved as `context` (period, sources and
    /// product types).
    pub fn with_context(context: &Context) -> Partial {
        Partial {
            context: context.clone(),
            current: Tally::default(),
            previous: Tally::default(),
            funnel: Funnel::default(),
            activity: vec![[0; 4]; context.period_days()],
            sources: Vec::new(),
            by_source: Vec::new(),
            product_types: Vec::new(),
            by_type: Vec::new(),
            untyped: Tally::default(),
        }
    }

    /// An empty state whose slots are `dataset`'s source and product-type keys, for the
    /// indexed computation ([`Scope`](super::Scope)), which passes keys as slots.
    pub(super) fn for_dataset(context: &Context, dataset: &Dataset) -> Partial {
        let names = |interner: &crate::dataset::Interner| -> Vec<String> {
            (0..interner.len())
                .map(|key| interner.resolve(key as u32).to_owned())
                .collect()
        };
        let mut partial = Partial::with_context(context);
        partial.sources = names(&dataset.marketing_sources);
        partial.by_source = vec![(Funnel::default(), Tally::default()); partial.sources.len()];
        partial.product_types = names(&dataset.product_types);
        partial.by_type = vec![Tally::default(); partial.product_types.len()];
        partial
    }

    /// The context the state was made in.
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// Adds the deal at `position` in the dataset (deals are numbered in
    /// `(created_at, input order)` order). A position outside `0..deal_count()` adds
    /// nothing; a deal outside the source or product-type filter adds nothing. Add each
    /// deal at most once.
    pub fn add_deal(&mut self, dataset: &Dataset, position: usize) {
        let Some(deal) = dataset.deals.get(position) else {
            return;
        };
        let Some((source, product_type)) = self.slots(dataset, deal.source, deal.product_type)
        else {
            return;
        };
        if let Some(day) = self.context.period_day(deal.created_at) {
            self.deal_created_on(deal, source, day);
        }
        self.deal_stage(deal.handed_over_at, 1);
        self.deal_stage(deal.opportunity_at, 2);
        // A won deal always has a revenue (a won deal without revenue is rejected).
        let revenue = deal.revenue.unwrap_or_default();
        self.deal_won_current(deal.won_at, source, product_type, revenue);
        self.deal_won_previous(deal.won_at, revenue);
    }

    /// Adds the deals at these positions ([`add_deal`](Partial::add_deal)).
    pub fn add_deals(&mut self, dataset: &Dataset, positions: impl IntoIterator<Item = usize>) {
        for position in positions {
            self.add_deal(dataset, position);
        }
    }

    /// Adds the cost at `position` in the dataset (costs are numbered in
    /// `(date, input order)` order). A position outside `0..cost_count()` adds nothing;
    /// a cost outside the filters adds nothing. Add each cost at most once.
    pub fn add_cost(&mut self, dataset: &Dataset, position: usize) {
        let Some(cost) = dataset.costs.get(position) else {
            return;
        };
        let Some((source, product_type)) = self.slots(dataset, cost.source, cost.product_type)
        else {
            return;
        };
        self.cost_current(cost, source, product_type);
        self.cost_previous(cost);
    }

    /// Adds the costs at these positions ([`add_cost`](Partial::add_cost)).
    pub fn add_costs(&mut self, dataset: &Dataset, positions: impl IntoIterator<Item = usize>) {
        for position in positions {
            self.add_cost(dataset, position);
        }
    }

    /// Whether a deal or cost with this source and product type passes the filters.
    /// The state's slots of a deal's or cost's source and product type (dataset keys
    /// resolved to their text), or `None` when the filters leave the row out.
    fn slots(
        &mut self,
        dataset: &Dataset,
        source: u32,
        product_type: OptKey,
    ) -> Option<(usize, Option<usize>)> {
        let source = dataset.marketing_sources.resolve(source);
        let product_type = product_type
            .get()
            .map(|key| dataset.product_types.resolve(key));
        if !self.keeps(source, product_type) {
            return None;
        }
        let source = self.source_slot(source);
        let product_type = product_type.map(|name| self.type_slot_of(name));
        Some((source, product_type))
    }

    fn keeps(&self, source: &str, product_type: Option<&str>) -> bool {
        let context = &self.context;
        let typed = match product_type {
            Some(name) => context.product_types.is_empty() || context.product_types.contains(name),
            None => context.product_types.is_empty(),
        };
        typed && (context.sources.is_empty() || context.sources.contains(source))
    }

    /// The slot of a source name, made on first use.
    fn source_slot(&mut self, name: &str) -> usize {
        match self.sources.iter().position(|known| known == name) {
            Some(slot) => slot,
            None => {
                self.sources.push(name.to_owned());
                self.by_source.push((Funnel::default(), Tally::default()));
                self.sources.len() - 1
            }
        }
    }

    /// The slot of a product-type name, made on first use.
    fn type_slot_of(&mut self, name: &str) -> usize {
        match self.product_types.iter().position(|known| known == name) {
            Some(slot) => slot,
            None => {
                self.product_types.push(name.to_owned());
                self.by_type.push(Tally::default());
                self.product_types.len() - 1
            }
        }
    }

    /// A deal created in the period on its `day` (0 = the period's first day): the
    /// cohort funnel and `activity_daily.created`. `source` is the deal's source slot.
    #[inline]
    pub(super) fn deal_created_on(&mut self, deal: &DealRow, source: usize, day: usize) {
        let context = &self.context;
        let stages = [
            Some(deal.created_at),
            deal.handed_over_at,
            deal.opportunity_at,
            deal.won_at,
        ];
        let depth = cohort_depth(stages, |at| context.in_current(at));
        self.funnel.add_depth(depth);
        if let Some((funnel, _)) = self.by_source.get_mut(source) {
            funnel.add_depth(depth);
        }
        if let Some(row) = self.activity.get_mut(day) {
            row[0] += 1;
        }
    }

    /// A stage (1 handed over, 2 opportunity) reached at `at`: `activity_daily` only.
    #[inline]
    pub(super) fn deal_stage(&mut self, at: Option<Ts>, column: usize) {
        let day = at.and_then(|at| self.context.period_day(at));
        if let Some(count) = day
            .and_then(|day| self.activity.get_mut(day))
            .and_then(|row| row.get_mut(column))
        {
            *count += 1;
        }
    }

    /// A deal won at `won_at` if that is in the period: revenue, won deals, the
    /// source's and product type's (slots) tallies, `activity_daily.won`.
    #[inline]
    pub(super) fn deal_won_current(
        &mut self,
        won_at: Option<Ts>,
        source: usize,
        product_type: Option<usize>,
        revenue: Decimal,
    ) {
        let Some(day) = won_at.and_then(|at| self.context.period_day(at)) else {
            return;
        };
        self.current.won(revenue);
        if let Some((_, tally)) = self.by_source.get_mut(source) {
            tally.won(revenue);
        }
        if let Some(tally) = self.type_tally(product_type) {
            tally.won(revenue);
        }
        if let Some(row) = self.activity.get_mut(day) {
            row[3] += 1;
        }
    }

    /// A deal won at `won_at` if that is in the previous period.
    #[inline]
    pub(super) fn deal_won_previous(&mut self, won_at: Option<Ts>, revenue: Decimal) {
        if won_at.is_some_and(|at| self.context.in_previous(at)) {
            self.previous.won(revenue);
        }
    }

    /// A cost row, if dated in the period (up to `today`), for a source and product
    /// type (slots).
    #[inline]
    pub(super) fn cost_current(
        &mut self,
        cost: &CostRow,
        source: usize,
        product_type: Option<usize>,
    ) {
        if !self.cost_in(self.context.period, cost.date) {
            return;
        }
        self.current.cost(cost);
        if let Some((_, tally)) = self.by_source.get_mut(source) {
            tally.cost(cost);
        }
        if let Some(tally) = self.type_tally(product_type) {
            tally.cost(cost);
        }
    }

    /// A cost dated in the previous period (up to `today`).
    #[inline]
    pub(super) fn cost_previous(&mut self, cost: &CostRow) {
        if self.cost_in(self.context.previous, cost.date) {
            self.previous.cost(cost);
        }
    }

    /// Whether a cost dated `date` is in `period` and not after `today`.
    #[inline]
    fn cost_in(&self, period: Period, date: NaiveDate) -> bool {
        period.contains(date) && date <= self.context.today
    }

    /// The tally of a product-type slot, or of "no product type".
    #[inline]
    fn type_tally(&mut self, product_type: Option<usize>) -> Option<&mut Tally> {
        match product_type {
            Some(slot) => self.by_type.get_mut(slot),
            None => Some(&mut self.untyped),
        }
    }
}

impl Fold for Partial {
    type Output = MarketingSection;

    fn new(options: &ReportOptions) -> Result<Partial> {
        Ok(Partial::with_context(&options.resolve()?))
    }

    /// Adds nothing: marketing folds deals and costs, which are no customer's rows (see
    /// the type's docs); use [`add_deal`](Partial::add_deal) and
    /// [`add_cost`](Partial::add_cost).
    fn add_customer(&mut self, _: &Dataset, _: CustomerIdx) {}

    /// Adds another partial state made for the same options, computed on other deals and
    /// costs. Exact: counts add, sums are exact decimal sums, sources and product types
    /// meet by name.
    fn merge(&mut self, other: Partial) -> Result<()> {
        self.context.check_same(&other.context, Partial::NAME)?;
        self.current.merge(&other.current);
        self.previous.merge(&other.previous);
        self.funnel.merge(&other.funnel);
        self.untyped.merge(&other.untyped);
        for (day, other_day) in self.activity.iter_mut().zip(&other.activity) {
            for (count, other_count) in day.iter_mut().zip(other_day) {
                *count += other_count;
            }
        }
        if self.sources == other.sources {
            for ((funnel, tally), (other_funnel, other_tally)) in
                self.by_source.iter_mut().zip(&other.by_source)
            {
                funnel.merge(other_funnel);
                tally.merge(other_tally);
            }
        } else {
            for (name, (other_funnel, other_tally)) in other.sources.iter().zip(&other.by_source) {
                let slot = self.source_slot(name);
                if let Some((funnel, tally)) = self.by_source.get_mut(slot) {
                    funnel.merge(other_funnel);
                    tally.merge(other_tally);
                }
            }
        }
        if self.product_types == other.product_types {
            for (tally, other_tally) in self.by_type.iter_mut().zip(&other.by_type) {
                tally.merge(other_tally);
            }
        } else {
            for (name, other_tally) in other.product_types.iter().zip(&other.by_type) {
                let slot = self.type_slot_of(name);
                if let Some(tally) = self.by_type.get_mut(slot) {
                    tally.merge(other_tally);
                }
            }
        }
        Ok(())
    }

    /// The section (docs/metrics.md#marketing).
    ///
    /// # Errors
    /// [`Error::Overflow`](crate::Error::Overflow) naming the metric when a sum or a ratio does not fit in a
    /// decimal.
    fn finish(self) -> Result<MarketingSection> {
        let revenue = Comparison::amounts(
            "marketing.revenue",
            self.current.revenue.finish("marketing.revenue")?,
            self.previous.revenue.finish("marketing.revenue")?,
        )?;
        let cost = Comparison::amounts(
            "marketing.cost",
            self.current.cost.finish("marketing.cost")?,
            self.previous.cost.finish("marketing.cost")?,
        )?;
        let roi = Comparison::ratios(
            "marketing.roi",
            roi_of("marketing.roi", revenue.current, cost.current)?,
            roi_of("marketing.roi", revenue.previous, cost.previous)?,
        )?;

        let activity_daily = self
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
        for (source, (funnel, tally)) in self.sources.iter().zip(&self.by_source) {
            if funnel.created == 0 && tally.won_deals == 0 && tally.cost_rows == 0 {
                continue;
            }
            let revenue = tally.revenue.finish("marketing.by_source.revenue")?;
            let cost = tally.cost.finish("marketing.by_source.cost")?;
            by_source.push(SourceRow {
                source: source.clone(),
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

        let mut revenue_by_product_type = Vec::new();
        let mut by_product_type = Vec::new();
        let typed = self.product_types.iter().map(|name| Some(name.as_str()));
        for (product_type, tally) in typed
            .zip(&self.by_type)
            .chain(std::iter::once((None, &self.untyped)))
        {
            let revenue = tally
                .revenue
                .finish("marketing.revenue_by_product_type.revenue")?;
            if tally.won_deals > 0 {
                revenue_by_product_type.push(ProductTypeRevenue {
                    product_type: product_type.unwrap_or("").to_owned(),
                    revenue,
                    won_deals: tally.won_deals,
                });
            }
            // Deals and costs without a product type count in the totals only.
            if let Some(product_type) = product_type
                && (tally.won_deals > 0 || tally.cost_rows > 0)
            {
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

impl Section for Partial {
    const NAME: &'static str = "marketing";
}
