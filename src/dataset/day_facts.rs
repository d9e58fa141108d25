//! Per-zone purchase-day facts: a cache of what each customer's purchases (completed
//! orders) come to by local day in one time zone, derived from the orders and rebuilt
//! on demand, never stored.
//!
//! The lifecycle, cohorts and RFM sections need, per purchaser, its distinct purchase
//! days, first and last ones, the spend of the days after the first, which months it
//! bought in and its spend per month. Scanning every customer's orders for that costs a
//! time-zone conversion per purchase on every report. The facts depend only on the
//! orders and the zone, not on the report's `as_of`, period or filters, as long as all
//! of a customer's purchases are up to `as_of` (the customer's
//! `PurchaseTotals::last_at`): so the dataset computes them once per zone, on the first
//! report that asks ([`ZoneCache::get`]), and later reports read one compact row per
//! customer. A customer with a purchase after `as_of`, or whose sums do not fit a
//! decimal, has no row (`days == 0`) and the reports scan its orders as before.
//!
//! Memory: 44 bytes per customer, plus 8 bytes per active month of the customers whose
//! purchases span at most 16 months and 4 bytes per purchase day strictly between the
//! first and the last: at 1M generated customers roughly 70-90 MB per zone (estimated
//! from those sizes). At most [`ZONES`] zones are kept (the oldest is dropped).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use chrono::Datelike;
use rust_decimal::Decimal;

use crate::calendar::{BusinessCalendar, date_of_epoch_day, month_of_epoch_day};
use crate::dataset::index::{OrderRow, PurchaseTotals};
use crate::money::{DecimalSum, mean_of_later_days};

/// Zones kept at once.
pub(crate) const ZONES: usize = 4;

/// Months of activity a row records, ending with the month of its last purchase day.
pub(crate) const MASK_MONTHS: i32 = 16;

/// The month number of an epoch day: `year * 12 + month0` of its date (0 beyond
/// chrono's range, which no dataset's date reaches).
#[inline]
pub(crate) fn month_number(day: i64) -> i32 {
    date_of_epoch_day(day).map_or(0, |d| d.year() * 12 + d.month0() as i32)
}

/// One customer's purchase-day facts over all its purchases (completed orders, any
/// date), in one zone.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct DayRow {
    /// The first and last purchase days (local epoch days).
    pub(crate) first_day: i32,
    pub(crate) last_day: i32,
    /// Distinct purchase days; 0 when the row is not usable (no purchase, or a sum that
    /// does not fit a decimal): the reports then scan the orders.
    pub(crate) days: u32,
    /// [`month_number`] of `last_day`.
    pub(crate) last_month: i32,
    /// Bit `j`: a purchase in month `last_month - (MASK_MONTHS - 1) + j`.
    pub(crate) months: u16,
    /// Whether every active month is in `months` (the first purchase is less than
    /// [`MASK_MONTHS`] months before the last): only then are month spends kept.
    pub(crate) spans_mask: bool,
    /// Start of its month spends in [`ZoneDays::month_spend`], one per bit of
    /// `months`, lowest bit first (only with `spans_mask`).
    pub(crate) month_run: u32,
    /// Start of its purchase days strictly between the first and the last in
    /// [`ZoneDays::inner_days`] (`days - 2` of them, when `days >= 3`).
    pub(crate) inner_run: u32,
    /// The mean spend of the purchase days after the first (`0` with one day), as the
    /// RFM summary's `monetary_value`.
    pub(crate) monetary: Decimal,
}

/// The facts of every customer of a dataset in one zone.
pub(crate) struct ZoneDays {
    /// The [`ZoneCache::id`] of the dataset they were computed from.
    pub(crate) owner: u64,
    /// By customer index.
    pub(crate) rows: Vec<DayRow>,
    /// Month spends as [`pack_amount`] packs them.
    pub(crate) month_spend: Vec<i64>,
    pub(crate) inner_days: Vec<i32>,
}

impl std::fmt::Debug for ZoneDays {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZoneDays")
            .field("rows", &self.rows.len())
            .field("month_spend", &self.month_spend.len())
            .field("inner_days", &self.inner_days.len())
            .finish()
    }
}

impl ZoneDays {
    /// The row of a customer, `None` past the end.
    #[inline]
    pub(crate) fn row(&self, customer: usize) -> Option<&DayRow> {
        self.rows.get(customer)
    }

    /// Whether the customer of `row` has a purchase day in `from..=to`.
    #[inline]
    pub(crate) fn active_in(&self, row: &DayRow, from: i64, to: i64) -> bool {
        let (first, last) = (i64::from(row.first_day), i64::from(row.last_day));
        if last < from || first > to {
            return false;
        }
        if (from <= first && first <= to) || (from <= last && last <= to) {
            return true;
        }
        // The range lies strictly between the first and last days: the inner days.
        let inner = self.inner_days_of(row);
        let at = inner.partition_point(|&d| i64::from(d) < from);
        inner.get(at).is_some_and(|&d| i64::from(d) <= to)
    }

    /// The purchase days of a row strictly between its first and its last, in order
    /// (`days - 2` of them; none with fewer than three days).
    #[inline]
    pub(crate) fn inner_days_of(&self, row: &DayRow) -> &[i32] {
        let start = row.inner_run as usize;
        self.inner_days
            .get(start..start + row.days.saturating_sub(2) as usize)
            .unwrap_or_default()
    }

    /// The month spends of a row, lowest month bit first, packed ([`unpack_amount`]
    /// reads one); empty without `spans_mask`.
    #[inline]
    pub(crate) fn month_spends(&self, row: &DayRow) -> &[i64] {
        if !row.spans_mask {
            return &[];
        }
        let start = row.month_run as usize;
        self.month_spend
            .get(start..start + row.months.count_ones() as usize)
            .unwrap_or_default()
    }

    /// Computes the facts of every customer of a dataset in `calendar`'s zone.
    fn build(data: &Purchases<'_>, calendar: &BusinessCalendar, owner: u64) -> ZoneDays {
        let n = data.totals.len();
        let mut out = ZoneDays {
            owner,
            rows: Vec::with_capacity(n),
            month_spend: Vec::new(),
            inner_days: Vec::new(),
        };
        let mut months: Vec<(i32, DecimalSum)> = Vec::new();
        let mut inner: Vec<i32> = Vec::new();
        for c in 0..n {
            let row = out
                .row_of(data, calendar, c, &mut months, &mut inner)
                .unwrap_or_default();
            out.rows.push(row);
        }
        out.month_spend.shrink_to_fit();
        out.inner_days.shrink_to_fit();
        out
    }

    /// The row of customer `c`, `None` when it is not usable.
    fn row_of(
        &mut self,
        data: &Purchases<'_>,
        calendar: &BusinessCalendar,
        c: usize,
        months: &mut Vec<(i32, DecimalSum)>,
        inner: &mut Vec<i32>,
    ) -> Option<DayRow> {
        let totals = data.totals.get(c)?;
        let spend = totals.spend?;
        if totals.count == 0 {
            return None;
        }
        let orders = data.orders_of(c);
        months.clear();
        inner.clear();
        let mut first_day_spend = DecimalSum::new();
        let mut count = 0u32;
        let (mut first, mut day) = (i64::MIN, i64::MIN);
        // The current month's day range [start, end), to find month numbers rarely.
        let (mut month_from, mut month_to) = (i64::MAX, i64::MIN);
        for order in orders.iter().filter(|o| o.is_completed()) {
            let d = calendar.local_day(order.created_at);
            // Local days that go backwards (a zone turning its clocks back across
            // midnight) are left to the scan.
            if d < day {
                return None;
            }
            if d != day {
                if count == 0 {
                    first = d;
                } else if count >= 2 {
                    // The previous day was neither the first nor (yet known) the last.
                    inner.push(i32::try_from(day).ok()?);
                }
                count += 1;
                day = d;
                if !(month_from <= d && d < month_to) {
                    let (number, start, next) = month_of_epoch_day(d);
                    month_from = start;
                    month_to = next;
                    months.push((i32::try_from(number).ok()?, DecimalSum::new()));
                }
            }
            if count == 1 {
                first_day_spend.add(order.total);
            }
            if let Some((_, sum)) = months.last_mut() {
                sum.add(order.total);
            }
        }
        if count == 0 {
            return None;
        }
        // `inner` holds the days between the first and the last; the last is `day`.
        let &(last_month, _) = months.last()?;
        let low = last_month - (MASK_MONTHS - 1);
        let spans_mask = months.first().is_some_and(|&(m, _)| m >= low);
        let mut mask = 0u16;
        let month_run = u32::try_from(self.month_spend.len()).ok()?;
        for (m, sum) in months.iter() {
            if *m >= low {
                mask |= 1 << (m - low);
                if spans_mask {
                    self.month_spend.push(pack_amount(sum.finish("").ok()?)?);
                }
            }
        }
        let inner_run = u32::try_from(self.inner_days.len()).ok()?;
        self.inner_days.extend_from_slice(inner);
        // The spend of the days after the first, exactly as the report's scan makes it.
        let mut later = DecimalSum::new();
        let monetary = if count > 1 {
            later.add(spend);
            later.add(-first_day_spend.finish("").ok()?);
            mean_of_later_days(&later, u64::from(count - 1)).ok()?
        } else {
            Decimal::ZERO
        };
        Some(DayRow {
            first_day: i32::try_from(first).ok()?,
            last_day: i32::try_from(day).ok()?,
            days: count,
            last_month,
            months: mask,
            spans_mask,
            month_run,
            inner_run,
            monetary,
        })
    }
}

/// Bits of a packed amount that hold its scale (0..=28).
const SCALE_BITS: u32 = 5;

/// An amount in 8 bytes, exactly: its mantissa shifted left by [`SCALE_BITS`], its scale
/// in the low bits; `None` when the mantissa does not fit in the 59 bits left (then the
/// customer has no row and is scanned). Half the memory of a `Decimal`, and added to a
/// sum without decoding one.
pub(crate) fn pack_amount(amount: Decimal) -> Option<i64> {
    let mantissa = i64::try_from(amount.mantissa()).ok()?;
    let limit = 1i64 << (63 - SCALE_BITS);
    (-limit..limit)
        .contains(&mantissa)
        .then(|| mantissa << SCALE_BITS | i64::from(amount.scale()))
}

/// The `(mantissa, scale)` of a [`pack_amount`]ed amount.
#[inline]
pub(crate) fn unpack_amount(packed: i64) -> (i64, u32) {
    // OK because the low bits hold a scale of at most 28.
    (
        packed >> SCALE_BITS,
        (packed & ((1 << SCALE_BITS) - 1)) as u32,
    )
}

/// What the facts are computed from: the dataset's purchase totals and orders.
pub(crate) struct Purchases<'a> {
    /// Per customer.
    pub(crate) totals: &'a [PurchaseTotals],
    /// Each customer's run of `orders`.
    pub(crate) order_runs: &'a [crate::dataset::storage::Run],
    /// Orders, each customer's run sorted by time.
    pub(crate) orders: &'a [OrderRow],
}

impl Purchases<'_> {
    /// Customer `c`'s orders; empty past the end.
    fn orders_of(&self, c: usize) -> &[OrderRow] {
        match self.order_runs.get(c) {
            Some(run) => self.orders.get(run.range()).unwrap_or_default(),
            None => &[],
        }
    }
}

/// One zone's facts, computed once by the first report that asks.
type ZoneSlot = Arc<OnceLock<Arc<ZoneDays>>>;

/// The dataset's [`ZoneDays`] by zone name, computed on first use. Not part of the
/// dataset's data: a clone starts empty, and nothing serializes it.
pub(crate) struct ZoneCache {
    /// Unique per cache (hence per dataset value): states that hold a [`ZoneDays`]
    /// check it against the dataset they are given.
    pub(crate) id: u64,
    zones: Mutex<Vec<(String, ZoneSlot)>>,
}

impl Default for ZoneCache {
    fn default() -> ZoneCache {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        ZoneCache {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            zones: Mutex::new(Vec::new()),
        }
    }
}

impl Clone for ZoneCache {
    /// An empty cache: the clone computes its own on first use.
    fn clone(&self) -> ZoneCache {
        ZoneCache::default()
    }
}

impl ZoneCache {
    /// The facts of the dataset (whose cache this is, given by `data`) in `calendar`'s
    /// zone, computed now
    /// when no report asked for that zone before. Concurrent callers for one zone wait
    /// for one computation.
    pub(crate) fn get(&self, data: &Purchases<'_>, calendar: &BusinessCalendar) -> Arc<ZoneDays> {
        let cell = {
            // A poisoned lock only means another report panicked mid-lookup; the list
            // itself is always consistent.
            let mut zones = self.zones.lock().unwrap_or_else(|e| e.into_inner());
            match zones.iter().find(|(name, _)| name == calendar.name()) {
                Some((_, cell)) => Arc::clone(cell),
                None => {
                    if zones.len() >= ZONES {
                        zones.remove(0);
                    }
                    let cell = Arc::new(OnceLock::new());
                    zones.push((calendar.name().to_owned(), Arc::clone(&cell)));
                    cell
                }
            }
        };
        Arc::clone(cell.get_or_init(|| Arc::new(ZoneDays::build(data, calendar, self.id))))
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn packed_amounts_keep_value_and_scale() {
        for text in [
            "0",
            "0.00",
            "125000",
            "-99.50",
            "0.0000000000000000000000000001",
            "-1.5",
        ] {
            let amount = Decimal::from_str(text).unwrap();
            let (m, s) = unpack_amount(pack_amount(amount).unwrap());
            let back = Decimal::from_i128_with_scale(i128::from(m), s);
            assert_eq!((back, back.scale()), (amount, amount.scale()), "{text}");
        }
        // 59 bits of mantissa: the largest fits, one more does not.
        let max = (1i64 << 58) - 1;
        assert!(pack_amount(Decimal::new(max, 2)).is_some());
        assert!(pack_amount(Decimal::new(-max - 1, 2)).is_some());
        assert!(pack_amount(Decimal::new(max + 1, 2)).is_none());
        assert!(pack_amount(Decimal::MAX).is_none());
    }
}
