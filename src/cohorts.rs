//! Acquisition cohorts: the customers whose first purchase falls in each of the last 12
//! months, and how many of them buy again in each later month, with their revenue.
//!
//! A row per month, oldest first, for the 12 months ending with today's month (local
//! calendar months). For the row of month `m`, with `K` = the number of months from
//! `m` to today's month (11 for the oldest row, 0 for the newest):
//!
//! | field | value |
//! | --- | --- |
//! | `customers` | customers whose first purchase is dated in `m` |
//! | `retained[k]`, `k = 0..=K` | of those, the customers with a purchase dated in `m + k` (so `retained[0] = customers`) |
//! | `retention[k]` | `retained[k] / customers`, `None` when `customers` is 0 |
//! | `revenue[k]` | the sum of their purchase totals dated in `m + k` |
//!
//! A purchase is a completed order up to `as_of`; only customers that exist at `as_of`
//! count; no filter applies. Shards: [`Partial`] keeps counts and exact sums per
//! (cohort, month), so merging any split of the customers gives exactly the whole.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ReportOptions;
use crate::dataset::{CustomerIdx, Dataset};
use crate::error::Result;
use crate::fold::Fold;
use crate::money::{DecimalSum, count_ratio};
use crate::purchase_days::{AddPurchaser, Days, Frame, Loader, MONTHS, Purchaser, fold_all};

/// Rows of the table: the 12 months ending with today's month.
const ROWS: usize = MONTHS - 1;

/// One cohort: the customers acquired (first purchase) in a month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CohortRow {
    /// `YYYY-MM`.
    pub month: String,
    /// Customers whose first purchase is in the month.
    pub customers: u64,
    /// `retained[k]`: those with a purchase in the month `k` months later.
    pub retained: Vec<u64>,
    /// `retained[k] / customers`; `None` when `customers` is 0.
    pub retention: Vec<Option<Decimal>>,
    /// Their purchase totals dated in the month `k` months later.
    pub revenue: Vec<Decimal>,
}

/// `retained / customers`, `None` when `customers` is 0. Field `cohorts[].retention[k]`.
///
/// # Example
/// ```
/// use crm_metrics::cohorts::retention;
/// use rust_decimal::Decimal;
///
/// assert_eq!(retention(3, 9), Some(Decimal::ONE / Decimal::from(3))); // 3 of 9
/// assert_eq!(retention(0, 0), None);
/// ```
pub fn retention(retained: u64, customers: u64) -> Option<Decimal> {
    count_ratio(retained, customers)
}

/// The mergeable partial state of the cohorts table: per cohort (month of the first
/// purchase, 0 = oldest row) and month offset, a count and an exact revenue sum.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Partial {
    frame: Frame,
    /// Reused buffers of the hot loop, not part of the state.
    #[cfg_attr(feature = "serde", serde(skip, default))]
    scratch: Option<Box<Loader>>,
    /// `retained[row][k]`, `k` in `0..ROWS - row`.
    retained: Vec<Vec<u64>>,
    revenue: Vec<Vec<DecimalSum>>,
}

impl AddPurchaser for Partial {
    fn frame(&self) -> &Frame {
        &self.frame
    }

    #[inline]
    fn add_purchaser<P: Purchaser>(&mut self, _: &Days, customer: &P, _: &Dataset, _: CustomerIdx) {
        self.add_retained(u32::from(customer.months()), customer.first_month(), 1);
        self.add_revenue(customer);
    }
}

impl Partial {
    /// Adds `n` purchasers active in the months of the bitmask `months` (bit `i`: month
    /// `i` of the 13) whose first purchase is in month `first_month`, to the counts of
    /// their cohort (none unless the first month is 1 or later).
    #[inline]
    pub(crate) fn add_retained(&mut self, months: u32, first_month: Option<usize>, n: u64) {
        // Month 0 of the 13 is only the lifecycle's previous month: cohorts start at 1.
        let Some(first) = first_month.filter(|&m| m >= 1) else {
            return;
        };
        let Some(retained) = self.retained.get_mut(first - 1) else {
            return;
        };
        // The months from the first on with a purchase: k months after the first.
        let mut active = months >> first;
        while active != 0 {
            let k = active.trailing_zeros() as usize;
            active &= active - 1;
            if let Some(count) = retained.get_mut(k) {
                *count += n;
            }
        }
    }

    /// Adds a purchaser's spend in each month from its first on to its cohort's revenue.
    #[inline]
    pub(crate) fn add_revenue<P: Purchaser>(&mut self, customer: &P) {
        let Some(first) = customer.first_month().filter(|&m| m >= 1) else {
            return;
        };
        let Some(revenue) = self.revenue.get_mut(first - 1) else {
            return;
        };
        let mut active = u32::from(customer.months()) >> first;
        while active != 0 {
            let k = active.trailing_zeros() as usize;
            active &= active - 1;
            if let Some(sum) = revenue.get_mut(k) {
                customer.add_month_spend(first + k, sum);
            }
        }
    }
}

impl Fold for Partial {
    type Output = Vec<CohortRow>;

    fn new(options: &ReportOptions) -> Result<Partial> {
        Ok(Partial {
            frame: Frame::new(options)?,
            scratch: None,
            retained: (0..ROWS).map(|row| vec![0; ROWS - row]).collect(),
            revenue: (0..ROWS)
                .map(|row| vec![DecimalSum::new(); ROWS - row])
                .collect(),
        })
    }

    fn add_customer(&mut self, dataset: &Dataset, customer: CustomerIdx) {
        let mut loader = self.scratch.take().unwrap_or_default();
        loader.add_customer(self, dataset, customer);
        self.scratch = Some(loader);
    }

    fn merge(&mut self, other: Partial) -> Result<()> {
        self.frame.check_same(&other.frame, "cohorts")?;
        for (a, b) in self.retained.iter_mut().zip(&other.retained) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        for (a, b) in self.revenue.iter_mut().zip(&other.revenue) {
            for (x, y) in a.iter_mut().zip(b) {
                x.merge(y);
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<Vec<CohortRow>> {
        let mut rows = Vec::with_capacity(ROWS);
        for (row, (retained, revenue)) in self.retained.into_iter().zip(self.revenue).enumerate() {
            let customers = retained.first().copied().unwrap_or(0);
            rows.push(CohortRow {
                month: self.frame.month_label(row + 1),
                customers,
                retention: retained.iter().map(|&r| retention(r, customers)).collect(),
                retained,
                revenue: revenue
                    .iter()
                    .map(|s| s.finish("cohorts.revenue"))
                    .collect::<Result<_>>()?,
            });
        }
        Ok(rows)
    }
}

/// The cohorts table: 12 rows, oldest first. Field `cohorts`.
///
/// # Errors
/// * [`Error::Overflow`](crate::Error::Overflow) when a revenue sum does not fit in a
///   decimal;
/// * [`Error::InvalidArgument`](crate::Error::InvalidArgument) when the options do not
///   resolve.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, cohorts, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(500).seed(7).as_of(as_of).dataset()?;
/// let rows = cohorts::section(&dataset, &ReportOptions::new(as_of))?;
/// assert_eq!(rows.len(), 12);
/// assert_eq!((rows[0].retained.len(), rows[11].retained.len()), (12, 1));
/// assert!(rows.iter().all(|r| r.retained[0] == r.customers));
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn section(dataset: &Dataset, options: &ReportOptions) -> Result<Vec<CohortRow>> {
    fold_all::<Partial>(dataset, options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::purchase_days::testing::{options, small_shop};

    #[test]
    fn cohort_rows_by_hand() {
        let rows = section(&small_shop(), &options()).unwrap();
        assert_eq!(rows.len(), 12);
        let row = |m: &str| rows.iter().find(|r| r.month == m).unwrap().clone();
        // August: C (its Aug 1 purchase predates its creation and still counts), back in
        // November: retained [1, 0, 0, 1], revenue [10, 0, 0, 40].
        let aug = row("2026-08");
        assert_eq!(aug.customers, 1);
        assert_eq!(aug.retained, [1, 0, 0, 1]);
        assert_eq!(aug.revenue, [10, 0, 0, 40].map(Decimal::from));
        assert_eq!(aug.retention[1], Some(Decimal::ZERO));
        // October: B and D; only B in November (30 + 20). retention[1] = 1 / 2.
        let oct = row("2026-10");
        assert_eq!((oct.customers, oct.retained.clone()), (2, vec![2, 1]));
        assert_eq!(
            oct.retention,
            [Some(Decimal::ONE), Some(Decimal::new(5, 1))]
        );
        assert_eq!(oct.revenue, [Decimal::from(120), Decimal::from(50)]); // 50 + 70; 30 + 20
        // November: A alone (F is created after as_of). Empty months: retention null.
        assert_eq!(row("2026-11").retained, [1]);
        let dec = row("2025-12");
        assert_eq!((dec.customers, dec.retained.len()), (0, 12));
        assert!(dec.retention.iter().all(Option::is_none));
    }
}
