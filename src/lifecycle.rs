//! Lifecycle: which of the period's active customers are new, returning or coming back,
//! and which slipped away; and the same for each of the last 12 months.
//!
//! A customer is **active** in a range of dates when it has a purchase (a completed
//! order, up to `as_of`) dated in it, dates being local dates. With P the period and
//! L its plain previous period (the previous calendar unit for calendar presets, the
//! same number of days before for the others; never the comparison range chosen with
//! [`ReportOptions::compare`](crate::ReportOptions::compare)):
//!
//! | field | customers |
//! | --- | --- |
//! | `active` | active in P |
//! | `new` | active in P, first purchase dated in P |
//! | `returning` | active in P and in L |
//! | `resurrecting` | active in P, not in L, first purchase before L's start |
//! | `dormant` | active in L, not in P |
//! | `returning_rate` | `(returning + resurrecting) / active`, `None` when `active` is 0 |
//!
//! so that `new + returning + resurrecting = active`. `monthly` gives the same counts for
//! each of the 12 months ending with today's month (oldest first), each against the
//! month before it; the current month runs to `as_of`. Only customers that exist at
//! `as_of` count; no filter applies. A purchase dated before its customer's creation
//! (imported history) counts.
//!
//! Shards: [`Partial`] keeps only counts, so merging the states of any split of the
//! customers gives exactly the whole result.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ReportOptions;
use crate::dataset::{CustomerIdx, Dataset};
use crate::error::Result;
use crate::fold::Fold;
use crate::money::count_ratio;
use crate::purchase_days::{AddPurchaser, Days, Frame, Loader, MONTHS, Purchaser, fold_all};

/// The lifecycle section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleSection {
    /// Customers active in the period.
    pub active: u64,
    /// Active customers whose first purchase is in the period.
    pub new: u64,
    /// Active customers also active in the previous period.
    pub returning: u64,
    /// Active customers not active in the previous period, with a purchase before it.
    pub resurrecting: u64,
    /// Customers active in the previous period and not in the period.
    pub dormant: u64,
    /// `(returning + resurrecting) / active`; `None` when `active` is 0.
    pub returning_rate: Option<Decimal>,
    /// 12 rows, oldest first, ending with today's month.
    pub monthly: Vec<LifecycleMonth>,
}

/// One month of [`LifecycleSection::monthly`], against the month before it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LifecycleMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// Customers active in the month.
    pub active: u64,
    /// Active, first purchase in the month.
    pub new: u64,
    /// Active, and active in the month before.
    pub returning: u64,
    /// Active, not in the month before, first purchase before that month.
    pub resurrecting: u64,
    /// Active in the month before, not in the month.
    pub dormant: u64,
}

/// The five counts of one range against the range before it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Counts {
    /// Active in the range.
    pub active: u64,
    /// Active, first purchase in the range.
    pub new: u64,
    /// Active, and active in the range before.
    pub returning: u64,
    /// Active, not in the range before, first purchase before that range.
    pub resurrecting: u64,
    /// Active in the range before, not in the range.
    pub dormant: u64,
}

/// The lifecycle state of one customer in a range of dates against the range before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Active, first purchase in the range.
    New,
    /// Active in the range and in the range before.
    Returning,
    /// Active, not in the range before, first purchase before that.
    Resurrecting,
    /// Active in the range before only.
    Dormant,
}

/// The lifecycle state of a customer: `active` and `active_before` say whether it has
/// a purchase dated in the range and in the range before it; `first_in_range`, whether
/// its first purchase is dated in the range. `None` when it is in none of the states
/// (active in neither range).
///
/// # Edge cases
/// * A customer active in both ranges whose first purchase is in the range cannot
///   exist when the range before is earlier; `New` wins, as the order of the fields says.
///
/// # Example
/// ```
/// use crm_metrics::lifecycle::{State, state};
///
/// assert_eq!(state(true, false, true), Some(State::New));
/// assert_eq!(state(true, true, false), Some(State::Returning));
/// assert_eq!(state(true, false, false), Some(State::Resurrecting));
/// assert_eq!(state(false, true, false), Some(State::Dormant));
/// assert_eq!(state(false, false, false), None);
/// ```
pub fn state(active: bool, active_before: bool, first_in_range: bool) -> Option<State> {
    match (active, active_before) {
        (true, _) if first_in_range => Some(State::New),
        (true, true) => Some(State::Returning),
        (true, false) => Some(State::Resurrecting),
        (false, true) => Some(State::Dormant),
        (false, false) => None,
    }
}

impl Counts {
    /// Adds `n` customers of one state.
    #[inline]
    fn add(&mut self, active: bool, active_before: bool, first_in_range: bool, n: u64) {
        match state(active, active_before, first_in_range) {
            Some(State::New) => self.new += n,
            Some(State::Returning) => self.returning += n,
            Some(State::Resurrecting) => self.resurrecting += n,
            Some(State::Dormant) => self.dormant += n,
            None => {}
        }
        if active {
            self.active += n;
        }
    }

    fn merge(&mut self, other: &Counts) {
        self.active += other.active;
        self.new += other.new;
        self.returning += other.returning;
        self.resurrecting += other.resurrecting;
        self.dormant += other.dormant;
    }

    /// `(returning + resurrecting) / active`, `None` when `active` is 0. Field
    /// `lifecycle.returning_rate`.
    ///
    /// # Example
    /// ```
    /// use crm_metrics::lifecycle::Counts;
    /// use rust_decimal::Decimal;
    ///
    /// let c = Counts { active: 4, new: 1, returning: 2, resurrecting: 1, dormant: 3 };
    /// assert_eq!(c.returning_rate(), Some(Decimal::new(75, 2))); // (2 + 1) / 4
    /// assert_eq!(Counts::default().returning_rate(), None);
    /// ```
    pub fn returning_rate(&self) -> Option<Decimal> {
        count_ratio(self.returning + self.resurrecting, self.active)
    }
}

/// The mergeable partial state of the lifecycle section: counts for the period and for
/// each of the 12 months. Owned, keyed by nothing dataset-local.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Partial {
    frame: Frame,
    /// Reused buffers of the hot loop, not part of the state.
    #[cfg_attr(feature = "serde", serde(skip, default))]
    scratch: Option<Box<Loader>>,
    period: Counts,
    monthly: [Counts; MONTHS - 1],
}

impl AddPurchaser for Partial {
    fn frame(&self) -> &Frame {
        &self.frame
    }

    #[inline]
    fn add_purchaser<P: Purchaser>(
        &mut self,
        days: &Days,
        customer: &P,
        _: &Dataset,
        _: CustomerIdx,
    ) {
        let (active, before, first_in) = period_flags(days, customer);
        self.add_period(active, before, first_in, 1);
        self.add_months(u32::from(customer.months()), customer.first_month(), 1);
    }
}

/// Whether a purchaser is active in the period, in its previous period, and has its
/// first purchase in the period.
#[inline]
pub(crate) fn period_flags<P: Purchaser>(days: &Days, customer: &P) -> (bool, bool, bool) {
    let first = customer.first_day();
    (
        customer.in_period(),
        customer.in_previous(),
        first >= days.period.0 && first <= days.period.1,
    )
}

impl Partial {
    /// Adds `n` purchasers with these [`period_flags`].
    #[inline]
    pub(crate) fn add_period(&mut self, active: bool, before: bool, first_in: bool, n: u64) {
        self.period.add(active, before, first_in, n);
    }

    /// Adds `n` purchasers active in the months of the bitmask `months` (bit `i`: month
    /// `i` of the 13), whose first purchase is in month `first_month` (`None` before
    /// the 13).
    #[inline]
    pub(crate) fn add_months(&mut self, months: u32, first_month: Option<usize>, n: u64) {
        if months == 0 {
            return;
        }
        // Only the months where the customer is active or was active the month before
        // (bit i + 1 of months | months << 1) have a state: visit those bits alone.
        let mut visit = (months | months << 1) & 0x1FFE;
        while visit != 0 {
            let month = visit.trailing_zeros() as usize;
            visit &= visit - 1;
            // Month `month` of the 13 against month - 1; row month - 1 of the 12.
            let Some(counts) = self.monthly.get_mut(month - 1) else {
                continue;
            };
            counts.add(
                months & (1 << month) != 0,
                months & (1 << (month - 1)) != 0,
                first_month == Some(month),
                n,
            );
        }
    }
}

impl Fold for Partial {
    type Output = LifecycleSection;

    fn new(options: &ReportOptions) -> Result<Partial> {
        Ok(Partial {
            frame: Frame::new(options)?,
            scratch: None,
            period: Counts::default(),
            monthly: [Counts::default(); MONTHS - 1],
        })
    }

    fn add_customer(&mut self, dataset: &Dataset, customer: CustomerIdx) {
        let mut loader = self.scratch.take().unwrap_or_default();
        loader.add_customer(self, dataset, customer);
        self.scratch = Some(loader);
    }

    fn merge(&mut self, other: Partial) -> Result<()> {
        self.frame.check_same(&other.frame, "lifecycle")?;
        self.period.merge(&other.period);
        for (a, b) in self.monthly.iter_mut().zip(&other.monthly) {
            a.merge(b);
        }
        Ok(())
    }

    fn finish(self) -> Result<LifecycleSection> {
        let monthly = self
            .monthly
            .iter()
            .enumerate()
            .map(|(j, c)| LifecycleMonth {
                month: self.frame.month_label(j + 1),
                active: c.active,
                new: c.new,
                returning: c.returning,
                resurrecting: c.resurrecting,
                dormant: c.dormant,
            })
            .collect();
        Ok(LifecycleSection {
            active: self.period.active,
            new: self.period.new,
            returning: self.period.returning,
            resurrecting: self.period.resurrecting,
            dormant: self.period.dormant,
            returning_rate: self.period.returning_rate(),
            monthly,
        })
    }
}

/// The lifecycle section: the period's counts against its previous period, and 12
/// months of them. Field `lifecycle`.
///
/// # Errors
/// [`Error::InvalidArgument`](crate::Error::InvalidArgument) when the options do not
/// resolve (dates at the edge of chrono's range).
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, lifecycle, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(500).seed(7).as_of(as_of).dataset()?;
/// let s = lifecycle::section(&dataset, &ReportOptions::new(as_of))?;
/// assert_eq!(s.new + s.returning + s.resurrecting, s.active);
/// assert_eq!(s.monthly.len(), 12);
/// assert_eq!(s.monthly[11].month, "2026-11");
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn section(dataset: &Dataset, options: &ReportOptions) -> Result<LifecycleSection> {
    fold_all::<Partial>(dataset, options)
}

/// The 12 rows of [`LifecycleSection::monthly`] alone: for each of the 12 months ending
/// with today's month (oldest first), its active customers as new, returning or
/// resurrecting against the month before it, and the month before's active customers
/// that are dormant in it. Field `lifecycle.monthly`.
///
/// # Errors
/// As [`section`].
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, lifecycle, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(300).seed(3).as_of(as_of).dataset()?;
/// let months = lifecycle::monthly(&dataset, &ReportOptions::new(as_of))?;
/// assert_eq!(months[0].month, "2025-12");
/// assert!(months.iter().all(|m| m.new + m.returning + m.resurrecting == m.active));
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn monthly(dataset: &Dataset, options: &ReportOptions) -> Result<Vec<LifecycleMonth>> {
    Ok(section(dataset, options)?.monthly)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::CustomerIdx;
    use crate::purchase_days::testing::{options, small_shop};

    #[test]
    fn a_customer_in_each_state() {
        // November against October (see `small_shop`): A new, B returning, C resurrecting
        // (Aug purchase, none in Oct), D dormant; E, F (created after as_of), G nothing.
        let s = section(&small_shop(), &options()).unwrap();
        assert_eq!(
            (s.active, s.new, s.returning, s.resurrecting, s.dormant),
            (3, 1, 1, 1, 1)
        );
        // (1 + 1) / 3
        assert_eq!(s.returning_rate, Some(Decimal::from(2) / Decimal::from(3)));
    }

    #[test]
    fn monthly_rows_by_hand() {
        let s = section(&small_shop(), &options()).unwrap();
        let row = |m: &str| {
            let r = s.monthly.iter().find(|r| r.month == m).unwrap();
            (r.active, r.new, r.returning, r.resurrecting, r.dormant)
        };
        assert_eq!(s.monthly.len(), 12);
        assert_eq!(s.monthly[0].month, "2025-12");
        assert_eq!(row("2026-07"), (0, 0, 0, 0, 0));
        assert_eq!(row("2026-08"), (1, 1, 0, 0, 0)); // C new
        assert_eq!(row("2026-09"), (1, 1, 0, 0, 1)); // E new, C dormant
        assert_eq!(row("2026-10"), (2, 2, 0, 0, 1)); // B, D new; E dormant
        assert_eq!(row("2026-11"), (3, 1, 1, 1, 1)); // as the period
    }

    #[test]
    fn lifecycle_keeps_the_plain_previous_period_whatever_the_compare_mode() {
        use crate::calendar::Compare;
        let plain = section(&small_shop(), &options()).unwrap();
        for mode in [Compare::ToDate, Compare::YearAgo] {
            assert_eq!(
                section(&small_shop(), &options().compare(mode)).unwrap(),
                plain
            );
        }
    }

    #[test]
    fn unknown_index_and_late_customer_add_nothing() {
        let dataset = small_shop();
        let mut p = Partial::new(&options()).unwrap();
        p.add_customer(&dataset, CustomerIdx(10_000));
        let late = dataset.customer_idx("F").unwrap();
        p.add_customer(&dataset, late);
        let s = p.finish().unwrap();
        assert_eq!(s.active + s.dormant, 0);
    }

    #[test]
    fn merging_states_of_different_options_fails() {
        use crate::calendar::Preset;
        let mut a = Partial::new(&options()).unwrap();
        let b = Partial::new(&options().period(Preset::LastMonth)).unwrap();
        assert!(a.merge(b).is_err());
    }
}
