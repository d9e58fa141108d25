//! The per-customer fold machinery the `customers` and `customer_picture` sections share:
//! a [`Tally`] is one metric's partial state fed a customer's [`Facts`] (its row and its
//! [`PurchaseSummary`]), so that several metrics share one purchase scan; a
//! [`TallyFold`] turns a tally into a [`Fold`]; [`ScaledSum`] and [`SpendTally`] are the
//! exact sums both sections use.

use rust_decimal::Decimal;

use crate::dataset::{CustomerIdx, CustomerRow, Dataset};
use crate::error::Result;
use crate::fold::fold_with;
use crate::fold::purchases::{PurchaseSummary, ZoneHandle};
use crate::money::{DecimalSum, ratio};
use crate::options::Context;

/// What a metric sees of one customer.
pub(crate) struct Facts<'a> {
    pub(crate) customer: CustomerIdx,
    pub(crate) row: &'a CustomerRow,
    /// Empty unless the metric asked for purchases.
    pub(crate) purchases: &'a PurchaseSummary,
}

/// One metric's partial state over customers. Like [`Fold`](crate::fold::Fold), but fed a
/// customer's [`Facts`], so that several metrics share one purchase scan.
pub(crate) trait Tally: Clone + Send + Sync {
    /// Whether [`Facts::purchases`] must be filled.
    const PURCHASES: bool;
    /// Whether the purchase scan must count gaps (implies `PURCHASES`).
    const GAPS: bool = false;
    /// Whether the metric reads only the purchase count, spend, voucher purchases and
    /// [`last_day`](PurchaseSummary::last_day) (with `PURCHASES`): the summary is then
    /// taken from the totals the dataset computed per customer at build time, and the
    /// customer's orders are not read at all (unless it has purchases after `as_of`).
    const TOTALS_ONLY: bool = false;
    /// What [`finish`](Tally::finish) returns.
    type Output;

    /// Adds one existing customer.
    fn add(&mut self, dataset: &Dataset, context: &Context, facts: &Facts<'_>);

    /// Adds a partial state of a disjoint set of customers, made by the same constructor.
    fn merge(&mut self, other: Self);

    /// The result.
    fn finish(self, context: &Context) -> Result<Self::Output>;
}

/// Two tallies fed the same customers and the same purchase scan: the report folds the
/// customers and customer-picture sections in one pass this way.
impl<A: Tally, B: Tally> Tally for (A, B) {
    const PURCHASES: bool = A::PURCHASES || B::PURCHASES;
    const GAPS: bool = A::GAPS || B::GAPS;
    const TOTALS_ONLY: bool =
        (A::TOTALS_ONLY || !A::PURCHASES) && (B::TOTALS_ONLY || !B::PURCHASES);
    type Output = (A::Output, B::Output);

    #[inline]
    fn add(&mut self, dataset: &Dataset, context: &Context, facts: &Facts<'_>) {
        self.0.add(dataset, context, facts);
        self.1.add(dataset, context, facts);
    }

    fn merge(&mut self, other: (A, B)) {
        self.0.merge(other.0);
        self.1.merge(other.1);
    }

    fn finish(self, context: &Context) -> Result<Self::Output> {
        Ok((self.0.finish(context)?, self.1.finish(context)?))
    }
}

/// A [`Tally`] over customers: scans each customer's purchases (into a reused summary)
/// when the tally needs them, then adds the customer. Owns its context, so that it
/// serializes and merges across processes (the sections' `Partial`s wrap one).
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct TallyFold<T> {
    context: Context,
    /// Scratch for the customer being added; not part of the state.
    #[cfg_attr(feature = "serde", serde(skip))]
    summary: PurchaseSummary,
    /// The dataset's purchase-day facts in the report's zone, when the state was told to
    /// read them ([`read_days`](TallyFold::read_days)); not part of the state.
    #[cfg_attr(feature = "serde", serde(skip))]
    days: Option<ZoneHandle>,
    tally: T,
}

impl<T: Tally> TallyFold<T> {
    pub(crate) fn new(context: &Context, tally: T) -> TallyFold<T> {
        TallyFold {
            context: context.clone(),
            summary: PurchaseSummary::default(),
            days: None,
            tally,
        }
    }

    /// Lets the state fill a customer's purchase summary from the dataset's purchase
    /// totals and purchase-day facts instead of reading its orders, where they give the
    /// same summary ([`PurchaseSummary::fill_from_days`]): for most customers, those
    /// without a purchase in the period or after `as_of`. The facts are computed once
    /// per dataset and zone, on first use, so this pays when another part of the same
    /// report needs them too (the full report's lifecycle, cohorts and RFM). The result
    /// is the same either way.
    pub(crate) fn read_days(&mut self) {
        self.days = Some(ZoneHandle::default());
    }

    /// The context the state was made in.
    pub(crate) fn context(&self) -> &Context {
        &self.context
    }

    /// Adds one customer: nothing for an index outside the dataset or a customer
    /// created after `as_of` (it does not exist yet, docs/metrics.md#which-rows-count).
    #[inline]
    pub(crate) fn add_customer(&mut self, dataset: &Dataset, customer: CustomerIdx) {
        let Some(row) = dataset.customers.get(customer.index()) else {
            return;
        };
        if !self.context.exists(row.created_at) {
            return;
        }
        if T::PURCHASES && T::TOTALS_ONLY && !T::GAPS {
            self.summary.fill_totals(dataset, &self.context, customer);
        } else if T::PURCHASES || T::GAPS {
            let filled = self.days.as_mut().is_some_and(|days| {
                let zone = days.get(dataset, &self.context.calendar);
                self.summary
                    .fill_from_days(dataset, &self.context, zone, customer, T::GAPS)
            });
            if !filled {
                self.summary
                    .scan(dataset.orders_of(customer), &self.context, T::GAPS);
            }
        }
        let facts = Facts {
            customer,
            row,
            purchases: &self.summary,
        };
        self.tally.add(dataset, &self.context, &facts);
    }

    /// Adds a state of a disjoint set of customers made for the same report.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) naming `section` when
    /// the two states were made for different options.
    pub(crate) fn merge(&mut self, other: TallyFold<T>, section: &'static str) -> Result<()> {
        self.context.check_same(&other.context, section)?;
        self.tally.merge(other.tally);
        Ok(())
    }

    /// The result.
    pub(crate) fn finish(self) -> Result<T::Output> {
        self.tally.finish(&self.context)
    }
}

/// Folds `tally` over the customers that exist at `as_of` and finishes it.
pub(crate) fn run<T: Tally>(dataset: &Dataset, context: &Context, tally: T) -> Result<T::Output> {
    let existing = dataset.existing(context.as_of_ts);
    run_range(dataset, context, 0..existing, tally)
}

/// Folds `tally` over the customers `range` (those not existing at `as_of` add nothing)
/// and finishes it.
pub(crate) fn run_range<T: Tally>(
    dataset: &Dataset,
    context: &Context,
    range: std::ops::Range<usize>,
    tally: T,
) -> Result<T::Output> {
    fold_with(
        dataset,
        range,
        || TallyFold::new(context, tally.clone()),
        TallyFold::add_customer,
        |a, b| a.merge(b, "customer"),
    )?
    .finish()
}

/// An exact sum of per-customer sums ([`DecimalSum`]s), kept per scale.
///
/// A `DecimalSum` adds at the finest scale it has seen; once a few amounts with a
/// fraction lift a running total to scale 1, every customer whose own sum is at scale 0
/// would be rescaled when merged into it. Keeping one partial sum per scale makes every
/// merge a same-scale `i128` addition; [`finish`](ScaledSum::finish) adds the partial sums
/// once. Exact, like `DecimalSum`, in any split.
#[derive(Clone, Copy, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct ScaledSum {
    by_scale: [DecimalSum; ScaledSum::SCALES],
}

impl ScaledSum {
    /// Scales 0 to 28, every scale of a `Decimal`.
    const SCALES: usize = 29;

    /// Adds a customer's sum.
    #[inline]
    pub(crate) fn add(&mut self, sum: &DecimalSum) {
        // An overflowed sum carries its overflow flag into bucket 0.
        let scale = sum.parts().map_or(0, |(_, scale)| scale as usize);
        // OK because a DecimalSum's scale is that of a Decimal, at most 28.
        if let Some(bucket) = self.by_scale.get_mut(scale.min(ScaledSum::SCALES - 1)) {
            bucket.merge(sum);
        }
    }

    /// Adds another partial sum.
    pub(crate) fn merge(&mut self, other: &ScaledSum) {
        for (a, b) in self.by_scale.iter_mut().zip(&other.by_scale) {
            a.merge(b);
        }
    }

    /// The exact total.
    ///
    /// # Errors
    /// [`Error::Overflow`](crate::Error::Overflow) naming `what`.
    pub(crate) fn finish(&self, what: &'static str) -> Result<Decimal> {
        let mut total = DecimalSum::new();
        for sum in &self.by_scale {
            total.merge(sum);
        }
        total.finish(what)
    }
}

/// Customers, buyers, purchases and their spend (docs/metrics.md#customers
/// `avg_spend_per_customer`, docs/metrics.md#customer_picture `total_customers`,
/// `total_spend`, `invoices`).
#[derive(Clone, Copy, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct SpendTally {
    pub(crate) customers: u64,
    pub(crate) buyers: u64,
    pub(crate) invoices: u64,
    pub(crate) spend: ScaledSum,
}

impl SpendTally {
    pub(crate) fn avg_spend_per_customer(&self) -> Result<Option<Decimal>> {
        const WHAT: &str = "customers.avg_spend_per_customer";
        ratio(WHAT, self.spend.finish(WHAT)?, Decimal::from(self.buyers))
    }
}

impl Tally for SpendTally {
    const PURCHASES: bool = true;
    const TOTALS_ONLY: bool = true;
    type Output = SpendTally;

    #[inline]
    fn add(&mut self, _: &Dataset, _: &Context, facts: &Facts<'_>) {
        let purchases = facts.purchases;
        self.customers += 1;
        self.buyers += u64::from(purchases.purchases() > 0);
        self.invoices += purchases.purchases();
        self.spend.add(purchases.spend_sum());
    }

    fn merge(&mut self, other: SpendTally) {
        self.customers += other.customers;
        self.buyers += other.buyers;
        self.invoices += other.invoices;
        self.spend.merge(&other.spend);
    }

    fn finish(self, _: &Context) -> Result<SpendTally> {
        Ok(self)
    }
}
