//! One customer's purchases, summarized in one pass ([`PurchaseSummary`]), and the
//! buckets its gaps are counted in ([`CycleBucket`]): the per-customer facts the
//! `customers` and `customer_picture` sections share.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::calendar::{Ts, date_of_epoch_day};
use std::sync::Arc;

use crate::calendar::BusinessCalendar;
use crate::dataset::{CustomerIdx, Dataset, OrderRow, Purchases, ZoneDays};
use crate::error::Result;
use crate::label::label_enum;
use crate::money::DecimalSum;
use crate::options::Context;

label_enum! {
    /// A bucket of days between two purchases (docs/metrics.md#customer_picture
    /// `return_cycle`, `customer_cycle`). Buckets are ranges of whole local days, in increasing
    /// order.
    CycleBucket, "cycle bucket" {
        /// 0 days: the same local date.
        SameDay = "same_day",
        /// 1 day.
        OneDay = "1_day",
        /// 2 days.
        TwoDays = "2_days",
        /// 3 to 6 days.
        ThreeToSixDays = "3_6_days",
        /// 7 to 13 days.
        OneWeek = "1_week",
        /// 14 to 29 days.
        TwoWeeks = "2_weeks",
        /// 30 to 59 days.
        OneMonth = "1_month",
        /// 60 to 89 days.
        TwoMonths = "2_months",
        /// 90 to 179 days.
        ThreeMonths = "3_months",
        /// 180 to 364 days.
        SixMonths = "6_months",
        /// 365 days or more.
        OneYearPlus = "1_year_plus",
    }
}

impl CycleBucket {
    /// The bucket of a gap of `days` local days (docs/metrics.md#customer_picture): `same_day` (0),
    /// `1_day`, `2_days`, `3_6_days`, `1_week` (7-13), `2_weeks` (14-29), `1_month` (30-59),
    /// `2_months` (60-89), `3_months` (90-179), `6_months` (180-364), `1_year_plus`
    /// (>= 365).
    ///
    /// # Edge cases
    /// * A negative gap is `same_day`. **Decision**: gaps follow the purchase order, and
    ///   local dates only go backwards where a zone turns its clocks back across
    ///   midnight; such a pair of purchases is treated as on the same day.
    ///
    /// # Example
    /// ```
    /// use crm_metrics::customer_picture::CycleBucket;
    ///
    /// assert_eq!(CycleBucket::of_gap_days(0), CycleBucket::SameDay);
    /// assert_eq!(CycleBucket::of_gap_days(6), CycleBucket::ThreeToSixDays);
    /// assert_eq!(CycleBucket::of_gap_days(7), CycleBucket::OneWeek);
    /// assert_eq!(CycleBucket::of_gap_days(30), CycleBucket::OneMonth);
    /// assert_eq!(CycleBucket::of_gap_days(364), CycleBucket::SixMonths);
    /// assert_eq!(CycleBucket::of_gap_days(365), CycleBucket::OneYearPlus);
    /// assert_eq!(CycleBucket::of_gap_days(-1), CycleBucket::SameDay);
    /// assert_eq!(CycleBucket::OneWeek.to_string(), "1_week");
    /// ```
    #[inline]
    pub const fn of_gap_days(days: i64) -> CycleBucket {
        match days {
            i64::MIN..=0 => CycleBucket::SameDay,
            1 => CycleBucket::OneDay,
            2 => CycleBucket::TwoDays,
            3..=6 => CycleBucket::ThreeToSixDays,
            7..=13 => CycleBucket::OneWeek,
            14..=29 => CycleBucket::TwoWeeks,
            30..=59 => CycleBucket::OneMonth,
            60..=89 => CycleBucket::TwoMonths,
            90..=179 => CycleBucket::ThreeMonths,
            180..=364 => CycleBucket::SixMonths,
            _ => CycleBucket::OneYearPlus,
        }
    }
}

/// One customer's purchases (docs/metrics.md#conventions), summarized in one pass over its orders:
/// how many, their spend, their first and last local dates, the gaps between consecutive ones
/// counted in [`CycleBucket`]s, and how many carry a voucher or fall in the period.
///
/// A purchase is a `completed` order with `created_at <= as_of`; purchases are ordered by
/// `(created_at, id)`; local dates are taken in the report's time zone.
///
/// # Example
/// ```
/// use chrono::{DateTime, Utc};
/// use rust_decimal::Decimal;
/// use crm_metrics::customer_picture::CycleBucket;
/// use crm_metrics::customers::PurchaseSummary;
/// use crm_metrics::model::{Customer, Order, OrderStatus, Source};
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let at = |text: &str| text.parse::<DateTime<Utc>>();
/// let mut shop = DatasetBuilder::new();
/// shop.push_customer(&Customer::new("KH1", at("2026-01-05T10:00:00+07:00")?, Source::Pos));
/// shop.push_order(&Order::new("DH1", "KH1", at("2026-03-01T09:00:00+07:00")?,
///     OrderStatus::Completed, Decimal::from(100_000)));
/// // same day
/// shop.push_order(&Order::new("DH2", "KH1", at("2026-03-01T18:00:00+07:00")?,
///     OrderStatus::Completed, Decimal::from(50_000)));
/// // 10 days
/// shop.push_order(&Order::new("DH3", "KH1", at("2026-03-11T09:00:00+07:00")?,
///     OrderStatus::Completed, Decimal::from(70_000)));
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")?).resolve()?;
/// let kh1 = dataset.customer_idx("KH1").unwrap();
/// let summary = PurchaseSummary::of(&dataset, &context, kh1);
/// assert_eq!(summary.purchases(), 3);
/// assert_eq!(summary.spend()?, Decimal::from(220_000));
/// assert_eq!(summary.last_purchase_on().unwrap().to_string(), "2026-03-11");
/// assert_eq!(summary.gaps(CycleBucket::SameDay), 1);
/// assert_eq!(summary.gaps(CycleBucket::OneWeek), 1);
/// // Gaps 0 and 10: the lower median is 0.
/// assert_eq!(summary.median_gap_bucket(), Some(CycleBucket::SameDay));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PurchaseSummary {
    /// Purchases (`< 2^32`: a table has fewer rows).
    purchases: u32,
    /// Purchases in the report's period.
    period_purchases: u32,
    /// Purchases that carry a voucher code.
    voucher_purchases: u32,
    /// Sum of the purchases' totals.
    spend: DecimalSum,
    /// Epoch day (local) of the first purchase; meaningless without purchases.
    first_day: i64,
    /// Epoch day (local) of the last purchase; meaningless without purchases.
    last_day: i64,
    /// Gaps between consecutive purchases, per [`CycleBucket::index`]; zero unless the
    /// scan counted gaps.
    gaps: [u32; CycleBucket::COUNT],
}

impl PurchaseSummary {
    /// The purchases of `customer` at the report's `as_of`.
    ///
    /// # Edge cases
    /// * A customer created after `as_of` does not exist yet: an empty summary
    ///   (docs/metrics.md#which-rows-count). So does an index that is not of this dataset.
    /// * Orders after `as_of` and orders that are not completed are skipped.
    pub fn of(dataset: &Dataset, context: &Context, customer: CustomerIdx) -> PurchaseSummary {
        let mut summary = PurchaseSummary::default();
        let exists = dataset
            .customers
            .get(customer.index())
            .is_some_and(|row| row.created_at <= context.as_of_ts);
        if exists {
            summary.scan(dataset.orders_of(customer), context, true);
        }
        summary
    }

    /// Reads one customer's orders front to back. With `gaps`, also counts the gaps
    /// between consecutive purchases; without, only the last purchase's local date is
    /// computed (one calendar look-up per customer instead of one per purchase).
    #[inline]
    pub(crate) fn scan(&mut self, orders: &[OrderRow], context: &Context, gaps: bool) {
        *self = PurchaseSummary::default();
        let as_of = context.as_of_ts;
        let period = &context.current;
        let mut first_at = Ts::MIN;
        let mut last_at = Ts::MIN;
        for order in orders {
            // Orders are sorted by created_at: the rest are after as_of too.
            if order.created_at > as_of {
                break;
            }
            if !order.is_completed() {
                continue;
            }
            let at = order.created_at;
            self.spend.add(order.total);
            self.voucher_purchases += u32::from(order.has_voucher);
            self.period_purchases += u32::from(period.start <= at && at < period.end);
            if gaps {
                let day = context.calendar.local_day(at);
                if self.purchases > 0 {
                    let bucket = CycleBucket::of_gap_days(day - self.last_day);
                    // OK because CycleBucket::index() < CycleBucket::COUNT.
                    self.gaps[bucket.index()] += 1;
                } else {
                    self.first_day = day;
                }
                self.last_day = day;
            } else if self.purchases == 0 {
                first_at = at;
            }
            last_at = at;
            // OK because a customer has fewer than 2^32 orders (a table has fewer rows).
            self.purchases += 1;
        }
        if !gaps && self.purchases > 0 {
            self.first_day = context.calendar.local_day(first_at);
            self.last_day = context.calendar.local_day(last_at);
        }
    }

    /// Fills the count, spend, voucher purchases and last day from the totals the
    /// dataset keeps per customer, when all its purchases are up to `as_of`; otherwise
    /// scans its orders (without gaps). The other fields are left at zero.
    pub(crate) fn fill_totals(
        &mut self,
        dataset: &Dataset,
        context: &Context,
        customer: CustomerIdx,
    ) {
        let totals = dataset.purchase_totals.get(customer.index());
        match totals.filter(|t| t.last_at.is_none_or(|last| last <= context.as_of_ts)) {
            Some(t) if t.spend.is_some() || t.count == 0 => {
                *self = PurchaseSummary::default();
                self.purchases = t.count;
                self.voucher_purchases = t.vouchers;
                if let Some(spend) = t.spend {
                    self.spend.add(spend);
                }
                if let Some(last) = t.last_at {
                    self.last_day = context.calendar.local_day(last);
                }
            }
            // Purchases after as_of, or a spend that overflowed (the scan reports it).
            _ => self.scan(dataset.orders_of(customer), context, false),
        }
    }

    /// Fills the summary from what the dataset keeps per customer, without reading its
    /// orders, when that gives exactly what [`scan`](PurchaseSummary::scan) would: the
    /// purchase totals (count, vouchers, spend, last instant) and the customer's
    /// purchase-day facts in the report's zone (`zone`, computed for
    /// `context.calendar`): its first and last local days, its distinct purchase days
    /// and those between. That holds when every purchase is up to `as_of` and before
    /// the period starts (so none is in the period), and the facts are usable (local
    /// days never go backwards, the spend fits a decimal). Then the gaps between
    /// consecutive purchases are the gaps between consecutive distinct days, plus one
    /// `same_day` gap for each purchase beyond the first of its day. Gives `false`, and
    /// leaves the summary as it was, otherwise.
    #[inline]
    pub(crate) fn fill_from_days(
        &mut self,
        dataset: &Dataset,
        context: &Context,
        zone: &ZoneDays,
        customer: CustomerIdx,
        gaps: bool,
    ) -> bool {
        let Some(totals) = dataset.purchase_totals.get(customer.index()) else {
            return false;
        };
        let Some(last) = totals.last_at else {
            // No purchase at all: what the scan finds in orders none of which counts.
            if totals.count != 0 {
                return false;
            }
            *self = PurchaseSummary::default();
            return true;
        };
        if last > context.as_of_ts || last >= context.current.start {
            return false;
        }
        let (Some(spend), Some(row)) = (totals.spend, zone.row(customer.index())) else {
            return false;
        };
        // `days == 0` marks facts that are not usable; more days than purchases cannot
        // come from the same orders.
        if row.days == 0 || row.days > totals.count {
            return false;
        }
        *self = PurchaseSummary::default();
        self.purchases = totals.count;
        self.voucher_purchases = totals.vouchers;
        self.spend.add(spend);
        self.first_day = i64::from(row.first_day);
        self.last_day = i64::from(row.last_day);
        if gaps {
            self.gaps[CycleBucket::SameDay.index()] = totals.count - row.days;
            if row.days >= 2 {
                let mut previous = self.first_day;
                let inner = zone.inner_days_of(row).iter().map(|&d| i64::from(d));
                for day in inner.chain(std::iter::once(self.last_day)) {
                    // OK because CycleBucket::index() < CycleBucket::COUNT.
                    self.gaps[CycleBucket::of_gap_days(day - previous).index()] += 1;
                    previous = day;
                }
            }
        }
        true
    }

    /// Number of purchases.
    pub fn purchases(&self) -> u64 {
        u64::from(self.purchases)
    }

    /// Purchases whose `created_at` is in the report's period (docs/metrics.md#customer_picture
    /// `spend_frequency`).
    pub fn period_purchases(&self) -> u64 {
        u64::from(self.period_purchases)
    }

    /// Purchases that carry a voucher code (docs/metrics.md#customer_picture `voucher_customers`).
    pub fn voucher_purchases(&self) -> u64 {
        u64::from(self.voucher_purchases)
    }

    /// The exact sum of the purchases' totals; `0` without purchases.
    ///
    /// # Errors
    /// [`Error::Overflow`](crate::Error::Overflow) when it does not fit in a decimal.
    pub fn spend(&self) -> Result<Decimal> {
        self.spend.finish("customer spend")
    }

    /// The running sum of the totals, for merging into larger sums.
    pub(crate) fn spend_sum(&self) -> &DecimalSum {
        &self.spend
    }

    /// The local date of the first purchase; `None` without purchases.
    pub fn first_purchase_on(&self) -> Option<NaiveDate> {
        (self.purchases > 0)
            .then(|| date_of_epoch_day(self.first_day))
            .flatten()
    }

    /// The local date of the last purchase; `None` without purchases.
    pub fn last_purchase_on(&self) -> Option<NaiveDate> {
        (self.purchases > 0)
            .then(|| date_of_epoch_day(self.last_day))
            .flatten()
    }

    /// The last purchase's local date as an epoch day, `None` without purchases.
    pub(crate) fn last_day(&self) -> Option<i64> {
        (self.purchases > 0).then_some(self.last_day)
    }

    /// Gaps (between consecutive purchases, in local days) that fall in `bucket`. The
    /// gaps of all buckets add up to `purchases - 1` (or 0).
    pub fn gaps(&self, bucket: CycleBucket) -> u64 {
        // OK because CycleBucket::index() < CycleBucket::COUNT.
        u64::from(self.gaps[bucket.index()])
    }

    /// Gaps of every bucket, by [`CycleBucket::index`].
    pub(crate) fn gap_counts(&self) -> &[u32; CycleBucket::COUNT] {
        &self.gaps
    }

    /// The bucket of the customer's median gap, the **lower** median for an even number
    /// of gaps (docs/metrics.md#customer_picture `customer_cycle`); `None` with fewer than 2
    /// purchases.
    ///
    /// Since a larger gap never falls in an earlier bucket, the bucket of the
    /// `k`-th smallest gap (`k = (gaps - 1) / 2`, from 0) is found from the bucket
    /// counts alone: no gap list is kept and nothing is sorted.
    pub fn median_gap_bucket(&self) -> Option<CycleBucket> {
        let gaps = self.purchases.checked_sub(1).filter(|n| *n > 0)?;
        let rank = (gaps - 1) / 2;
        let mut seen = 0u32;
        for (bucket, count) in CycleBucket::ALL.iter().zip(self.gaps) {
            seen += count;
            if seen > rank {
                return Some(*bucket);
            }
        }
        None
    }
}

/// A fold's handle on the dataset's purchase-day facts of its zone: fetched on the
/// first customer, fetched again when a customer of another dataset comes.
#[derive(Clone, Debug, Default)]
pub(crate) struct ZoneHandle(Option<Arc<ZoneDays>>);

impl ZoneHandle {
    /// The facts of `dataset` in `calendar`'s zone.
    #[inline]
    pub(crate) fn get(&mut self, dataset: &Dataset, calendar: &BusinessCalendar) -> &ZoneDays {
        let fresh = self
            .0
            .as_ref()
            .is_some_and(|zone| zone.owner == dataset.day_facts.id);
        if !fresh {
            self.0 = None;
        }
        self.0.get_or_insert_with(|| {
            let data = Purchases {
                totals: &dataset.purchase_totals,
                order_runs: &dataset.order_runs,
                orders: &dataset.orders,
            };
            dataset.day_facts.get(&data, calendar)
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::ReportOptions;
    use crate::calendar::Preset;

    /// Worked by hand: purchases on 1 March 09:00 and 18:00 and 11 March 09:00 (+07:00),
    /// 100,000 + 50,000 + 70,000, one with a voucher; report `as_of` 15 November, period
    /// November, so all are up to `as_of` and before the period. Three purchases on two
    /// distinct days: one `same_day` gap (two on 1 March) and one gap of 10 days
    /// (`1_week`, 7-13), spend 220,000, first day 1 March, last day 11 March, none in the
    /// period. In a period that holds 11 March the facts do not say how many fall in it:
    /// refused, the orders are scanned.
    #[test]
    fn filling_from_the_days_by_hand() {
        use chrono::DateTime;
        use rust_decimal::Decimal;

        use crate::DatasetBuilder;
        use crate::model::{Customer, Order, OrderStatus, Source};

        let at = |text: &str| text.parse::<DateTime<Utc>>().unwrap();
        let mut shop = DatasetBuilder::new();
        shop.push_customer(&Customer::new(
            "KH1",
            at("2026-01-05T10:00:00+07:00"),
            Source::Pos,
        ));
        let mut first = Order::new(
            "DH1",
            "KH1",
            at("2026-03-01T09:00:00+07:00"),
            OrderStatus::Completed,
            Decimal::from(100_000),
        );
        first.voucher_code = Some("SALE".to_owned());
        shop.push_order(&first);
        for (id, when, total) in [
            ("DH2", "2026-03-01T18:00:00+07:00", 50_000),
            ("DH3", "2026-03-11T09:00:00+07:00", 70_000),
        ] {
            shop.push_order(&Order::new(
                id,
                "KH1",
                at(when),
                OrderStatus::Completed,
                Decimal::from(total),
            ));
        }
        let dataset = shop.build().unwrap();
        let kh1 = dataset.customer_idx("KH1").unwrap();
        let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00"))
            .period(Preset::ThisMonth)
            .resolve()
            .unwrap();
        let mut zone = ZoneHandle::default();
        let days = zone.get(&dataset, &context.calendar);
        let mut summary = PurchaseSummary::default();
        assert!(summary.fill_from_days(&dataset, &context, days, kh1, true));
        assert_eq!(summary.purchases(), 3);
        assert_eq!(summary.voucher_purchases(), 1);
        assert_eq!(summary.period_purchases(), 0);
        assert_eq!(summary.spend().unwrap(), Decimal::from(220_000));
        assert_eq!(
            summary.first_purchase_on().unwrap().to_string(),
            "2026-03-01"
        );
        assert_eq!(
            summary.last_purchase_on().unwrap().to_string(),
            "2026-03-11"
        );
        assert_eq!(summary.gaps(CycleBucket::SameDay), 1);
        assert_eq!(summary.gaps(CycleBucket::OneWeek), 1);
        assert_eq!(
            CycleBucket::ALL
                .iter()
                .map(|&b| summary.gaps(b))
                .sum::<u64>(),
            2
        );
        // March holds the last purchase: the facts are refused and the summary kept.
        let march = ReportOptions::new(at("2026-11-15T10:00:00+07:00"))
            .period(
                crate::calendar::Period::new(
                    "2026-03-01".parse().unwrap(),
                    "2026-03-31".parse().unwrap(),
                )
                .unwrap(),
            )
            .resolve()
            .unwrap();
        let kept = summary;
        assert!(!summary.fill_from_days(&dataset, &march, days, kh1, true));
        assert_eq!(summary, kept);
    }

    /// Wherever the totals and purchase-day facts fill a summary, it is the scan's, to
    /// the last field; elsewhere the summary is left as it was. Over zones with and
    /// without DST (Santiago turns its clocks back at midnight, so local days can go
    /// backwards), `as_of` before and after many purchases, every preset period, with
    /// and without gaps, on data with bad rows.
    #[test]
    fn filling_from_the_days_gives_the_scan() {
        let mut filled_some = [false; 2];
        for seed in 0..3 {
            let dataset = crate::sample::SampleOptions::new(300)
                .seed(seed)
                .bad_rate(0.05)
                .dataset()
                .unwrap();
            for zone_name in ["+07:00", "Europe/Berlin", "America/Santiago"] {
                for as_of in [
                    Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap(),
                    Utc.with_ymd_and_hms(2026, 7, 1, 0, 0, 0).unwrap(),
                    Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap(),
                ] {
                    for preset in Preset::ALL {
                        let context = ReportOptions::new(as_of)
                            .period(preset)
                            .time_zone(zone_name)
                            .resolve()
                            .unwrap();
                        let mut handle = ZoneHandle::default();
                        let zone = handle.get(&dataset, &context.calendar);
                        for c in 0..dataset.customers.len() {
                            if dataset.customers[c].created_at > context.as_of_ts {
                                continue;
                            }
                            let customer = CustomerIdx(c as u32);
                            for (g, gaps) in [false, true].into_iter().enumerate() {
                                let mut scanned = PurchaseSummary::default();
                                scanned.scan(dataset.orders_of(customer), &context, gaps);
                                // A value no customer has, to see what is left alone.
                                let mut filled = PurchaseSummary {
                                    purchases: u32::MAX,
                                    ..PurchaseSummary::default()
                                };
                                let before = filled;
                                if filled.fill_from_days(&dataset, &context, zone, customer, gaps) {
                                    assert_eq!(filled, scanned, "{zone_name} {as_of} {c}");
                                    filled_some[g] |= scanned.purchases > 1;
                                } else {
                                    assert_eq!(filled, before);
                                }
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(filled_some, [true, true], "the filling path was taken");
    }
}
