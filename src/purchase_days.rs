//! A customer's purchases by local day: the one scan that the lifecycle, cohorts and RFM
//! sections share, and the resolved options ([`Frame`]) their partial states keep.
//!
//! A purchaser comes from one of two sources, both behind the [`Purchaser`] trait that
//! the sections read: the dataset's per-zone purchase-day facts ([`CachedDays`], a view
//! of one cached row, nothing copied), when all of the customer's purchases are up to
//! `as_of`; else a scan of its orders ([`CustomerDays`]). [`Loader`] picks the source
//! and hands the purchaser to a section ([`AddPurchaser`]); the sections' code is
//! generic over the source, so each of their formulas is written once.
//!
//! Purchases of a customer are sorted by time, so their local days never decrease: the
//! distinct purchase days are counted by watching the day change, in one pass and with
//! no allocation.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::calendar::{BusinessCalendar, Period, Ts, epoch_day, first_of_month, sub_months};
use crate::dataset::{
    CustomerIdx, Dataset, DayRow, MASK_MONTHS, ZoneDays, month_number, unpack_amount,
};
use crate::error::{Error, Result};
use crate::fold::purchases::ZoneHandle;
use crate::fold::{Fold, fold_customers};
use crate::money::{DecimalSum, mean_of_later_days};

/// Months in the 12-month tables, plus the month before the oldest (its previous month).
pub(crate) const MONTHS: usize = 13;

/// What the lifecycle, cohorts and RFM partial states keep of the report options:
/// resolved, owned, comparable (two states merge only when their frames are equal).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct Frame {
    #[cfg_attr(feature = "serde", serde(with = "calendar_name"))]
    pub(crate) calendar: BusinessCalendar,
    pub(crate) as_of: DateTime<Utc>,
    /// The local date of `as_of`.
    pub(crate) today: NaiveDate,
    /// The period and its plain previous period (whatever the comparison mode).
    pub(crate) period: Period,
    pub(crate) base_previous: Period,
    /// First days of 14 months: the 13 of [`MONTHS`] (today's month last) and the next.
    pub(crate) month_starts: [NaiveDate; MONTHS + 1],
}

impl Frame {
    /// Resolves the options.
    pub(crate) fn new(options: &crate::ReportOptions) -> Result<Frame> {
        let context = options.resolve()?;
        let this_month = first_of_month(context.today);
        let mut month_starts = [this_month; MONTHS + 1];
        for (i, slot) in month_starts.iter_mut().enumerate() {
            let back = (MONTHS - 1) as i64 - i as i64;
            *slot = if back >= 0 {
                sub_months(this_month, back as u32)
            } else {
                crate::calendar::add_months(this_month, 1)
            }
            .ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "the months around {} are out of range",
                    context.today
                ))
            })?;
        }
        Ok(Frame {
            calendar: context.calendar,
            as_of: context.as_of,
            today: context.today,
            period: context.period,
            base_previous: context.base_previous,
            month_starts,
        })
    }

    /// The days a scan needs, as epoch days.
    pub(crate) fn days(&self) -> Days {
        let mut month_starts = [0; MONTHS + 1];
        for (slot, date) in month_starts.iter_mut().zip(self.month_starts) {
            *slot = epoch_day(date);
        }
        let today = epoch_day(self.today);
        let period = (epoch_day(self.period.start()), epoch_day(self.period.end()));
        let previous = (
            epoch_day(self.base_previous.start()),
            epoch_day(self.base_previous.end()),
        );
        Days {
            as_of: Ts::from_datetime(self.as_of),
            today,
            period,
            previous,
            month_starts,
            this_month: month_number(month_starts[MONTHS - 1]),
            period_month: whole_month(&month_starts, today, period),
            previous_month: whole_month(&month_starts, today, previous),
        }
    }

    /// An error unless `other` was made for the same options.
    pub(crate) fn check_same(&self, other: &Frame, section: &str) -> Result<()> {
        if self == other {
            Ok(())
        } else {
            Err(Error::InvalidArgument(format!(
                "cannot merge {section} partial states made for different report options"
            )))
        }
    }

    /// `YYYY-MM` of month `i` of the 13 (0 = the month before the oldest table row).
    pub(crate) fn month_label(&self, i: usize) -> String {
        self.month_starts
            .get(i)
            .map(|d| d.format("%Y-%m").to_string())
            .unwrap_or_default()
    }
}

#[cfg(feature = "serde")]
mod calendar_name {
    //! A calendar serializes as its name (`+07:00`, `Europe/Berlin`) and parses back.
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::calendar::BusinessCalendar;

    pub(crate) fn serialize<S: Serializer>(
        calendar: &BusinessCalendar,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(calendar.name())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BusinessCalendar, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// The month `i` of the 13 (see [`Frame::month_starts`]) whose days up to today are
/// exactly the days of `range` up to today, if any: then a customer whose purchases are
/// all up to today is active in `range` exactly when it is active in month `i`. The
/// calendar periods (this month, last month) are such months.
fn whole_month(starts: &[i64; MONTHS + 1], today: i64, (from, to): (i64, i64)) -> Option<usize> {
    let i = (0..MONTHS).find(|&i| starts[i] == from)?;
    let month_end = (starts[i + 1] - 1).min(today);
    (to.min(today) == month_end && from <= month_end).then_some(i)
}

/// [`Frame`] as epoch days, for the hot loop.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Days {
    pub(crate) as_of: Ts,
    pub(crate) today: i64,
    pub(crate) period: (i64, i64),
    pub(crate) previous: (i64, i64),
    pub(crate) month_starts: [i64; MONTHS + 1],
    /// The month number (`year * 12 + month0`) of today's month.
    pub(crate) this_month: i32,
    /// The month of the 13 that `period`, and `previous`, come to for purchases up to
    /// today ([`whole_month`]), if any.
    pub(crate) period_month: Option<usize>,
    pub(crate) previous_month: Option<usize>,
}

/// What the lifecycle, cohorts and RFM sections read of one purchaser (a customer with
/// a purchase, a completed order up to `as_of`), whichever source it comes from.
pub(crate) trait Purchaser {
    /// Distinct purchase days, at least 1.
    fn days(&self) -> u32;
    /// The first and last purchase days (epoch days).
    fn first_day(&self) -> i64;
    fn last_day(&self) -> i64;
    /// Active in the period, in its plain previous period.
    fn in_period(&self) -> bool;
    fn in_previous(&self) -> bool;
    /// Bit `i`: a purchase in month `i` of the 13 (see [`Frame::month_starts`]).
    fn months(&self) -> u16;
    /// The month (0..13) of the first purchase day, `None` outside the 13 months.
    fn first_month(&self) -> Option<usize>;
    /// Adds the total spend to `sum`.
    fn add_spend(&self, sum: &mut DecimalSum);
    /// `monetary_value` (see [`mean_of_later_days`]) for `frequency` days after the first.
    ///
    /// # Errors
    /// [`Error::Overflow`] when the spend of those days does not fit in a decimal.
    fn monetary(&self, frequency: u64) -> Result<Decimal>;
    /// Adds the spend of month `i` of the 13 to `sum`; called only for a month with its
    /// bit set in [`months`](Purchaser::months) at or after the first purchase's month,
    /// when that month is 1 or later (a cohort's customer).
    fn add_month_spend(&self, i: usize, sum: &mut DecimalSum);
}

/// A section that adds purchasers (its partial state, without its [`Loader`]).
pub(crate) trait AddPurchaser {
    /// The resolved options of the state.
    fn frame(&self) -> &Frame;
    /// Adds one purchaser, customer `customer` of `dataset`.
    fn add_purchaser<P: Purchaser>(
        &mut self,
        days: &Days,
        purchaser: &P,
        dataset: &Dataset,
        customer: CustomerIdx,
    );
}

/// Hands each customer to a section as a [`Purchaser`]: read from the dataset's
/// purchase-day facts of the zone ([`CachedDays`]) when all the customer's purchases
/// are up to `as_of`, else scanned from its orders ([`CustomerDays`]). Reused buffers
/// and handles, not part of any state.
#[derive(Clone, Debug, Default)]
pub(crate) struct Loader {
    /// The frame's days and calendar, resolved on the first customer.
    resolved: Option<(Days, BusinessCalendar)>,
    scan: CustomerDays,
    zone: ZoneHandle,
}

impl Loader {
    /// Takes the dataset's purchase-day facts of the zone now (computing them if no
    /// report did), so that the copies of this loader share them.
    pub(crate) fn fetch_zone(&mut self, frame: &Frame, dataset: &Dataset) {
        self.zone.get(dataset, &frame.calendar);
    }

    /// Adds `customer` to `state` when it exists at `as_of` and has a purchase.
    #[inline]
    pub(crate) fn add_customer<S: AddPurchaser>(
        &mut self,
        state: &mut S,
        dataset: &Dataset,
        customer: CustomerIdx,
    ) {
        let (days, calendar) = self
            .resolved
            .get_or_insert_with(|| (state.frame().days(), state.frame().calendar.clone()));
        match load(
            dataset,
            calendar,
            days,
            customer,
            &mut self.zone,
            &mut self.scan,
        ) {
            Some(Loaded::Cached(p)) => state.add_purchaser(days, &p, dataset, customer),
            Some(Loaded::Scanned(p)) => state.add_purchaser(days, p, dataset, customer),
            None => {}
        }
    }
}

/// A purchaser from one source or the other.
enum Loaded<'a> {
    Cached(CachedDays<'a>),
    Scanned(&'a CustomerDays),
}

/// A customer as a [`Purchaser`]: read from the dataset's purchase-day facts of the
/// zone when all its purchases are up to `as_of` (and the facts can tell), else scanned
/// into `scan`; `None` when it does not exist at `as_of` (or the index is not of this
/// dataset) or has no purchase.
#[inline(always)]
fn load<'a>(
    dataset: &Dataset,
    calendar: &BusinessCalendar,
    days: &Days,
    customer: CustomerIdx,
    zone: &'a mut ZoneHandle,
    scan: &'a mut CustomerDays,
) -> Option<Loaded<'a>> {
    let i = customer.index();
    let (row, totals) = (dataset.customers.get(i)?, dataset.purchase_totals.get(i)?);
    if row.created_at > days.as_of || totals.count == 0 {
        return None;
    }
    if let (Some(last), Some(spend)) = (totals.last_at, totals.spend)
        && last <= days.as_of
    {
        let zone = zone.get(dataset, calendar);
        if let Some(facts) = zone.row(i)
            && facts.days > 0
            && let Some(cached) = CachedDays::new(days, zone, facts, spend)
        {
            return Some(Loaded::Cached(cached));
        }
    }
    scan.scan(dataset, calendar, days, customer)
        .then_some(Loaded::Scanned(scan))
}

/// A purchaser read from its row of the dataset's purchase-day facts ([`ZoneDays`]):
/// a view, computing only what the row does not hold as such (the 13 months' bits,
/// activity in the period and its previous period).
#[derive(Clone, Copy, Debug)]
pub(crate) struct CachedDays<'a> {
    zone: &'a ZoneDays,
    row: &'a DayRow,
    /// The customer's total spend (all its purchases are up to `as_of`).
    spend: Decimal,
    /// Bit `i`: month `i` of the 13.
    months: u16,
    /// Bit `j` of the row's months is month `j - base` of the 13.
    base: i64,
    first_month: Option<usize>,
    in_period: bool,
    in_previous: bool,
}

impl<'a> CachedDays<'a> {
    /// The view of a usable row (`days > 0`) of a customer whose purchases are all up to
    /// `as_of` and add up to `spend`; `None` in the one case the row cannot tell: a first
    /// purchase in the cohort months (1..13) without its month spends kept.
    #[inline(always)]
    pub(crate) fn new(
        days: &Days,
        zone: &'a ZoneDays,
        row: &'a DayRow,
        spend: Decimal,
    ) -> Option<CachedDays<'a>> {
        // Bit j of the row is month `last_month - (MASK_MONTHS - 1) + j`; bit i of the
        // 13 months is month `this_month - 12 + i`: so i = j - base.
        let base = i64::from(days.this_month)
            - (MONTHS as i64 - 1)
            - (i64::from(row.last_month) - i64::from(MASK_MONTHS - 1));
        let mask = u32::from(row.months);
        let window = if base >= 0 {
            mask.checked_shr(base as u32).unwrap_or(0)
        } else {
            mask.checked_shl(base.unsigned_abs() as u32).unwrap_or(0)
        };
        let months = (window & ((1 << MONTHS) - 1)) as u16;
        let first = i64::from(row.first_day);
        let starts = &days.month_starts;
        // A first purchase in the 13 months is at most 12 months before the last (which
        // is not after today), so its month is in the row's 16 and is the lowest bit.
        let first_month = (starts[0] <= first && first < starts[MONTHS] && months != 0)
            .then(|| months.trailing_zeros() as usize);
        if first_month.is_some_and(|m| m >= 1) && !row.spans_mask {
            return None;
        }
        // All the customer's purchases are up to today: in a range that comes to a month
        // of the 13, its month bit tells; else look at its days.
        let active = |month: Option<usize>, (from, to): (i64, i64)| match month {
            Some(i) => months & (1 << i) != 0,
            None => zone.active_in(row, from, to),
        };
        Some(CachedDays {
            zone,
            row,
            spend,
            months,
            base,
            first_month,
            in_period: active(days.period_month, days.period),
            in_previous: active(days.previous_month, days.previous),
        })
    }
}

impl Purchaser for CachedDays<'_> {
    #[inline]
    fn days(&self) -> u32 {
        self.row.days
    }

    #[inline]
    fn first_day(&self) -> i64 {
        i64::from(self.row.first_day)
    }

    #[inline]
    fn last_day(&self) -> i64 {
        i64::from(self.row.last_day)
    }

    #[inline]
    fn in_period(&self) -> bool {
        self.in_period
    }

    #[inline]
    fn in_previous(&self) -> bool {
        self.in_previous
    }

    #[inline]
    fn months(&self) -> u16 {
        self.months
    }

    #[inline]
    fn first_month(&self) -> Option<usize> {
        self.first_month
    }

    #[inline]
    fn add_spend(&self, sum: &mut DecimalSum) {
        sum.add_small(self.spend);
    }

    #[inline]
    fn monetary(&self, _frequency: u64) -> Result<Decimal> {
        Ok(self.row.monetary)
    }

    #[inline]
    fn add_month_spend(&self, i: usize, sum: &mut DecimalSum) {
        let j = i as i64 + self.base;
        if !(0..i64::from(MASK_MONTHS)).contains(&j) {
            return;
        }
        let bits = u32::from(self.row.months);
        if bits & (1 << j) == 0 {
            return;
        }
        // The row's month spends are one per bit, lowest first.
        let at = (bits & ((1 << j) - 1)).count_ones() as usize;
        if let Some(&spend) = self.zone.month_spends(self.row).get(at) {
            let (mantissa, scale) = unpack_amount(spend);
            sum.add_mantissa(i128::from(mantissa), scale);
        }
    }
}

/// One customer's purchases (completed orders up to `as_of`) by local day, scanned from
/// its orders.
///
/// Valid after [`scan`](CustomerDays::scan) returned `true`.
#[derive(Clone, Debug, Default)]
pub(crate) struct CustomerDays {
    /// Distinct purchase days, at least 1.
    pub(crate) days: u32,
    /// The first and last purchase days (epoch days).
    pub(crate) first_day: i64,
    pub(crate) last_day: i64,
    /// Total spend, and the spend of the purchase days other than the first.
    pub(crate) spend: DecimalSum,
    pub(crate) later_spend: DecimalSum,
    /// Active in the period, in its plain previous period.
    pub(crate) in_period: bool,
    pub(crate) in_previous: bool,
    /// Bit `i`: a purchase in month `i` of the 13 (see [`Frame::month_starts`]).
    pub(crate) months: u16,
    /// Spend per month of the 13; only months with their bit set are meaningful.
    pub(crate) month_spend: [DecimalSum; MONTHS],
    /// The month (0..13) of the first purchase day, `None` outside the 13 months.
    pub(crate) first_month: Option<usize>,
}

impl CustomerDays {
    /// Clears what the previous customer left.
    #[inline]
    fn reset(&mut self) {
        // Clear the months the previous customer touched.
        let mut touched = self.months;
        while touched != 0 {
            let i = touched.trailing_zeros() as usize;
            if let Some(sum) = self.month_spend.get_mut(i) {
                *sum = DecimalSum::new();
            }
            touched &= touched - 1;
        }
        self.months = 0;
        self.spend = DecimalSum::new();
        self.later_spend = DecimalSum::new();
        self.in_period = false;
        self.in_previous = false;
    }

    /// Scans a customer's purchases; `false` when it does not exist at `as_of` (or the
    /// index is not of this dataset) or has no purchase.
    #[inline]
    pub(crate) fn scan(
        &mut self,
        dataset: &Dataset,
        calendar: &BusinessCalendar,
        days: &Days,
        customer: CustomerIdx,
    ) -> bool {
        let Some(row) = dataset.customers.get(customer.index()) else {
            return false;
        };
        let Some(totals) = dataset.purchase_totals.get(customer.index()) else {
            return false;
        };
        if row.created_at > days.as_of || totals.count == 0 {
            return false;
        }
        let mut day = i64::MIN;
        let mut count = 0u32;
        let mut month = 0usize;
        self.reset();
        let starts = &days.month_starts;
        // One purchase over all time, not after as_of: its instant and total are known
        // without reading the customer's orders.
        if let (1, Some(at), Some(spend)) = (totals.count, totals.last_at, totals.spend)
            && at <= days.as_of
        {
            let d = calendar.local_day(at);
            self.days = 1;
            self.first_day = d;
            self.last_day = d;
            self.spend.add(spend);
            self.in_period = days.period.0 <= d && d <= days.period.1;
            self.in_previous = days.previous.0 <= d && d <= days.previous.1;
            if starts[0] <= d && d < starts[MONTHS] {
                let month = (0..MONTHS).rev().find(|&i| starts[i] <= d).unwrap_or(0);
                self.months = 1 << month;
                if let Some(sum) = self.month_spend.get_mut(month) {
                    sum.add(spend);
                }
            }
            self.first_month = self.first_month_in(days);
            return true;
        }
        // When no purchase is after as_of, the spend is the stored total: no sum per order.
        let known_spend = match (totals.last_at, totals.spend) {
            (Some(last), Some(spend)) if last <= days.as_of => Some(spend),
            _ => None,
        };
        let mut first_day_spend = DecimalSum::new();
        // Spend per month is needed only when the first purchase starts a cohort.
        let mut cohort = false;
        for order in dataset.orders_of(customer) {
            if order.created_at > days.as_of {
                break;
            }
            if !order.is_completed() {
                continue;
            }
            let d = calendar.local_day(order.created_at);
            if d != day {
                if count == 0 {
                    self.first_day = d;
                    cohort = starts[1] <= d && d < starts[MONTHS];
                }
                count += 1;
                day = d;
                self.in_period |= days.period.0 <= d && d <= days.period.1;
                self.in_previous |= days.previous.0 <= d && d <= days.previous.1;
                // Days never decrease: move the month cursor forward.
                while month < MONTHS && starts[month + 1] <= d {
                    month += 1;
                }
                if starts[0] <= d && d < starts[MONTHS] {
                    self.months |= 1 << month;
                }
            }
            if known_spend.is_none() {
                self.spend.add(order.total);
            }
            if count == 1 {
                first_day_spend.add(order.total);
            }
            if cohort && let Some(sum) = self.month_spend.get_mut(month) {
                sum.add(order.total);
            }
        }
        if count == 0 {
            return false;
        }
        if let Some(spend) = known_spend {
            self.spend.add(spend);
        }
        if count > 1 {
            // The days after the first: spend - first day's spend, exactly.
            self.later_spend = self.spend;
            match first_day_spend.finish("rfm.monetary_value") {
                Ok(first) => self.later_spend.add(-first),
                // Sticky: reported when the sum is finished.
                Err(_) => self.later_spend.merge(&first_day_spend),
            }
        }
        self.days = count;
        self.last_day = day;
        self.first_month = self.first_month_in(days);
        true
    }

    /// The month (0..13) of the first purchase day, `None` outside the 13 months.
    fn first_month_in(&self, days: &Days) -> Option<usize> {
        let starts = &days.month_starts;
        if self.first_day < starts[0] || self.first_day >= starts[MONTHS] {
            return None;
        }
        (0..MONTHS).rev().find(|&i| starts[i] <= self.first_day)
    }
}

impl Purchaser for CustomerDays {
    #[inline]
    fn days(&self) -> u32 {
        self.days
    }

    #[inline]
    fn first_day(&self) -> i64 {
        self.first_day
    }

    #[inline]
    fn last_day(&self) -> i64 {
        self.last_day
    }

    #[inline]
    fn in_period(&self) -> bool {
        self.in_period
    }

    #[inline]
    fn in_previous(&self) -> bool {
        self.in_previous
    }

    #[inline]
    fn months(&self) -> u16 {
        self.months
    }

    #[inline]
    fn first_month(&self) -> Option<usize> {
        self.first_month
    }

    #[inline]
    fn add_spend(&self, sum: &mut DecimalSum) {
        sum.merge(&self.spend);
    }

    #[inline]
    fn monetary(&self, frequency: u64) -> Result<Decimal> {
        mean_of_later_days(&self.later_spend, frequency)
    }

    #[inline]
    fn add_month_spend(&self, i: usize, sum: &mut DecimalSum) {
        if let Some(spend) = self.month_spend.get(i) {
            sum.merge(spend);
        }
    }
}

/// The id of a customer, `""` for an index not of this dataset.
pub(crate) fn customer_id(dataset: &Dataset, customer: CustomerIdx) -> &str {
    dataset
        .customers
        .get(customer.index())
        .and_then(|row| dataset.customer_text.rows.get(row.load as usize))
        .map_or("", |spans| dataset.customer_text.arena.get(spans[0]))
}

/// Folds every customer that exists at `as_of` into a fresh `F` and finishes it (one
/// pass, or shards on every core with the `parallel` feature).
pub(crate) fn fold_all<F: Fold + Clone + Sync>(
    dataset: &Dataset,
    options: &crate::ReportOptions,
) -> Result<F::Output> {
    let empty = F::new(options)?;
    let existing = dataset.customers_at(options.as_of);
    fold_customers(dataset, existing, || empty.clone())?.finish()
}

#[cfg(test)]
pub(crate) mod testing {
    //! A small shop for the hand-worked tests of lifecycle, cohorts and RFM.
    use chrono::{DateTime, Utc};
    use rust_decimal::Decimal;

    use crate::model::{Customer, Order, OrderStatus, Source};
    use crate::{Dataset, DatasetBuilder, ReportOptions};

    pub(crate) fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    /// `(customer, created_at, [(date, status, total)])`, times at 10:00 +07:00 unless the
    /// date has a time.
    /// One customer: id, created_at and its orders (date, status, total).
    pub(crate) type Row<'a> = (&'a str, &'a str, &'a [(&'a str, OrderStatus, i64)]);

    pub(crate) fn shop(rows: &[Row<'_>]) -> Dataset {
        let stamp = |d: &str| {
            if d.contains('T') {
                at(d)
            } else {
                at(&format!("{d}T10:00:00+07:00"))
            }
        };
        let mut b = DatasetBuilder::new();
        let mut n = 0;
        for (id, created, orders) in rows {
            b.push_customer(&Customer {
                id: (*id).into(),
                created_at: stamp(created),
                source: Source::Pos,
                name: None,
                phone: None,
                email: None,
                gender: None,
                birth_date: None,
                zalo_id: None,
                facebook_id: None,
                notes: None,
            });
            for (date, status, total) in *orders {
                n += 1;
                b.push_order(&Order {
                    id: format!("O{n:03}"),
                    customer_id: (*id).into(),
                    created_at: stamp(date),
                    status: *status,
                    total: Decimal::from(*total),
                    cost_of_goods: None,
                    source: None,
                    fanpage_id: None,
                    staff_id: None,
                    voucher_code: None,
                });
            }
        }
        b.build().unwrap()
    }

    /// The shop of the lifecycle, cohorts and RFM tests; today is 2026-11-15 (+07:00).
    ///
    /// | customer | purchases | lifecycle in November |
    /// | --- | --- | --- |
    /// | A | Nov 3 (100) | new |
    /// | B | Oct 10 (50), Nov 5 (30), Nov 5 (20) | returning |
    /// | C | Aug 1 (10, before its creation on Nov 1), Nov 7 (40) | resurrecting |
    /// | D | Oct 20 (70), a cancelled Nov 8 | dormant |
    /// | E | Sep 1 (10), a Nov 16 order after as_of | none |
    /// | F | created Nov 20, after as_of, a Nov 2 purchase | not counted |
    /// | G | none | none |
    pub(crate) fn small_shop() -> Dataset {
        use OrderStatus::{Cancelled, Completed};
        shop(&[
            ("A", "2026-11-01", &[("2026-11-03", Completed, 100)]),
            (
                "B",
                "2026-10-01",
                &[
                    ("2026-10-10", Completed, 50),
                    ("2026-11-05T09:00:00+07:00", Completed, 30),
                    ("2026-11-05T23:59:00+07:00", Completed, 20),
                ],
            ),
            (
                "C",
                "2026-11-01",
                &[("2026-08-01", Completed, 10), ("2026-11-07", Completed, 40)],
            ),
            (
                "D",
                "2026-10-01",
                &[
                    ("2026-10-20", Completed, 70),
                    ("2026-11-08", Cancelled, 999),
                ],
            ),
            (
                "E",
                "2026-08-01",
                &[
                    ("2026-09-01", Completed, 10),
                    ("2026-11-16", Completed, 500),
                ],
            ),
            ("F", "2026-11-20", &[("2026-11-02", Completed, 1000)]),
            ("G", "2026-11-01", &[]),
        ])
    }

    pub(crate) fn options() -> ReportOptions {
        ReportOptions::new(at("2026-11-15T10:00:00+07:00"))
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::testing::{at, options, small_shop};
    use super::*;
    use crate::ReportOptions;
    use crate::calendar::{Period, Preset};

    type Seen = (
        (u32, i64, i64, Option<Decimal>),
        Option<Decimal>,
        (bool, bool, u16, Option<usize>),
        Option<Vec<(usize, Option<Decimal>)>>,
    );

    /// What the sections read of a purchaser (the month spends only for a cohort's
    /// months from the first on).
    fn seen(p: &impl Purchaser) -> Seen {
        let frequency = u64::from(p.days().saturating_sub(1));
        let mut spend = DecimalSum::new();
        p.add_spend(&mut spend);
        let cohort = p.first_month().filter(|&m| m >= 1).map(|first| {
            (first..MONTHS)
                .filter(|&i| p.months() & (1 << i) != 0)
                .map(|i| {
                    let mut sum = DecimalSum::new();
                    p.add_month_spend(i, &mut sum);
                    (i, sum.finish("month").ok())
                })
                .collect::<Vec<_>>()
        });
        (
            (
                p.days(),
                p.first_day(),
                p.last_day(),
                spend.finish("spend").ok(),
            ),
            p.monetary(frequency).ok(),
            (p.in_period(), p.in_previous(), p.months(), p.first_month()),
            cohort,
        )
    }

    /// Every customer read from the zone's facts equals the scan of its orders; returns
    /// the purchasers and those of them read from the facts.
    fn facts_equal_scans(dataset: &Dataset, options: &ReportOptions) -> (usize, usize) {
        let frame = Frame::new(options).unwrap();
        let days = frame.days();
        let mut zone = ZoneHandle::default();
        let (mut loaded, mut scanned) = (CustomerDays::default(), CustomerDays::default());
        let (mut purchasers, mut cached) = (0, 0);
        for c in 0..dataset.customer_count() as u32 + 2 {
            let c = CustomerIdx(c);
            let a = load(dataset, &frame.calendar, &days, c, &mut zone, &mut loaded);
            let b = scanned.scan(dataset, &frame.calendar, &days, c);
            assert_eq!(a.is_some(), b, "customer {c:?}");
            purchasers += usize::from(b);
            match a {
                Some(Loaded::Cached(p)) => {
                    cached += 1;
                    assert_eq!(seen(&p), seen(&scanned), "customer {c:?}");
                }
                Some(Loaded::Scanned(p)) => assert_eq!(seen(p), seen(&scanned), "customer {c:?}"),
                None => {}
            }
        }
        (purchasers, cached)
    }

    #[test]
    fn zone_facts_equal_the_scan_in_every_zone_period_and_as_of() {
        let base = at("2026-11-15T03:00:00Z");
        let dataset = crate::sample::SampleOptions::new(600)
            .seed(5)
            .as_of(base)
            .dataset()
            .unwrap();
        let custom = Period::new(
            chrono::NaiveDate::from_ymd_opt(2026, 3, 9).unwrap(),
            chrono::NaiveDate::from_ymd_opt(2026, 3, 20).unwrap(),
        )
        .unwrap();
        let (mut checked, mut cached) = (0, 0);
        for zone in ["+07:00", "-09:30", "Europe/Berlin", "America/Santiago"] {
            // Before, at and after the data's end: purchases after as_of are scanned.
            for as_of in [base - Duration::days(45), base, base + Duration::days(500)] {
                let periods: [crate::calendar::PeriodSpec; 5] = [
                    Preset::ThisMonth.into(),
                    Preset::Last90Days.into(),
                    Preset::ThisYear.into(),
                    Preset::Yesterday.into(),
                    custom.into(),
                ];
                for period in periods {
                    let options = ReportOptions::new(as_of)
                        .try_time_zone(zone)
                        .unwrap()
                        .period(period);
                    let (purchasers, from_facts) = facts_equal_scans(&dataset, &options);
                    checked += purchasers;
                    cached += from_facts;
                }
            }
        }
        assert!(
            checked > 10_000 && cached > checked / 2,
            "{checked} {cached}"
        );
    }

    #[test]
    fn calendar_months_are_recognized_as_months_of_the_13() {
        // Today is 2026-11-15: this month is month 12, last month month 11.
        let days = Frame::new(&options()).unwrap().days();
        assert_eq!(
            (days.period_month, days.previous_month),
            (Some(12), Some(11))
        );
        let last = Frame::new(&options().period(Preset::LastMonth))
            .unwrap()
            .days();
        assert_eq!(
            (last.period_month, last.previous_month),
            (Some(11), Some(10))
        );
        for preset in [Preset::Last7Days, Preset::Yesterday, Preset::ThisYear] {
            let other = Frame::new(&options().period(preset)).unwrap().days();
            assert_eq!(other.period_month, None, "{preset:?}");
        }
    }

    #[test]
    fn zone_facts_of_the_small_shop() {
        // E has a purchase after as_of: scanned.
        assert_eq!(facts_equal_scans(&small_shop(), &options()), (5, 4));
        // A clone has its own cache; a handle follows the dataset it is given.
        let dataset = small_shop();
        let copy = dataset.clone();
        assert_ne!(dataset.day_facts.id, copy.day_facts.id);
        let frame = Frame::new(&options()).unwrap();
        let mut zone = ZoneHandle::default();
        let first = zone.get(&dataset, &frame.calendar).owner;
        assert_eq!(first, dataset.day_facts.id);
        assert_eq!(zone.get(&copy, &frame.calendar).owner, copy.day_facts.id);
    }
}
