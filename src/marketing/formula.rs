//! The formulas of the marketing section (docs/metrics.md#marketing) that a service can call on its
//! own numbers: [`roi`], [`aov`], [`cost_per`] and the cohort [`funnel`].

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::calendar::{BusinessCalendar, Period, Ts};
use crate::error::{Error, Result};
use crate::model::Deal;
use crate::money::{count_ratio, ratio};

/// Return on investment: `(revenue - cost) / cost`. Field `marketing.roi`
/// (docs/metrics.md#marketing) (also `by_source[].roi` and `by_product_type[].roi`).
///
/// `revenue`: deals won in the period; `cost`: costs dated in it, up to `today`. `0.25` means +25 %.
///
/// # Edge cases
/// * `cost == 0` gives `Ok(None)`, which is JSON `null`, never a division panic.
/// * `revenue == 0` with `cost > 0` gives `Some(-1)`: everything spent was lost.
/// * `revenue < cost` gives a negative ROI (`50` on `200` is `-0.75`).
/// * No rounding: `1 / 3` is `0.3333333333333333333333333333` (docs/metrics.md#money-and-ratios).
///
/// # Errors
/// [`Error::Overflow`] when `revenue - cost` or the division does not fit in a `Decimal`.
///
/// # Example
/// ```
/// use crm_metrics::marketing::roi;
/// use rust_decimal::Decimal;
///
/// let (revenue, cost) = (Decimal::from(150_000), Decimal::from(100_000));
/// assert_eq!(roi(revenue, cost)?, Some(Decimal::new(5, 1))); // +50 %
/// assert_eq!(roi(Decimal::from(50), Decimal::from(200))?, Some(Decimal::new(-75, 2)));
/// assert_eq!(roi(revenue, Decimal::ZERO)?, None);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn roi(revenue: Decimal, cost: Decimal) -> Result<Option<Decimal>> {
    roi_of("marketing.roi", revenue, cost)
}

/// [`roi`] with the metric named `what` in the overflow error.
pub(crate) fn roi_of(
    what: &'static str,
    revenue: Decimal,
    cost: Decimal,
) -> Result<Option<Decimal>> {
    if cost.is_zero() {
        return Ok(None);
    }
    let gain = revenue
        .checked_sub(cost)
        .ok_or_else(|| Error::overflow(what))?;
    ratio(what, gain, cost)
}

/// Average order value: `revenue / won_deals`. Field `marketing.aov`.
///
/// `revenue`: the summed revenue of the deals won in the period; `won_deals`: how many
/// they are. S2 calls it "revenue / deals with revenue in the period"; a won deal of
/// revenue `0` counts as a won deal (docs/input-format.md#dealscsv).
///
/// # Edge cases
/// * `won_deals == 0` gives `None` (JSON `null`): no deal, no average.
/// * Never fails: dividing an amount by a count of at least 1 cannot leave `Decimal`'s
///   range. The quotient is not rounded beyond `rust_decimal`'s 28 digits.
///
/// # Example
/// ```
/// use crm_metrics::marketing::aov;
/// use rust_decimal::Decimal;
///
/// assert_eq!(aov(Decimal::from(13_210_000), 2), Some(Decimal::from(6_605_000)));
/// assert_eq!(aov(Decimal::ZERO, 0), None);
/// ```
pub fn aov(revenue: Decimal, won_deals: u64) -> Option<Decimal> {
    cost_per(revenue, won_deals)
}

/// An amount per counted thing: `amount / count`. Fields
/// `by_source[].cost_per_deal = cost / created` and
/// `by_source[].cost_per_won = cost / won_deals` (docs/metrics.md#marketing).
///
/// # Edge cases
/// * `count == 0` gives `None` (JSON `null`): a source with costs but no deal has no
///   cost per deal.
/// * `amount == 0` with `count > 0` gives `Some(0)`: deals that cost nothing.
/// * Never fails (see [`aov`]).
///
/// # Example
/// ```
/// use crm_metrics::marketing::cost_per;
/// use rust_decimal::Decimal;
///
/// assert_eq!(cost_per(Decimal::from(1_951_000), 2), Some(Decimal::from(975_500)));
/// assert_eq!(cost_per(Decimal::from(518_000), 0), None);
/// ```
pub fn cost_per(amount: Decimal, count: u64) -> Option<Decimal> {
    if count == 0 {
        return None;
    }
    // OK because |amount / count| <= |amount| for count >= 1: the division cannot
    // overflow, so `checked_div` never returns `None` here.
    amount.checked_div(Decimal::from(count))
}

/// The cohort funnel of a period (docs/metrics.md#marketing `funnel`, and the funnel fields
/// of `by_source`): `created` = deals created in the period; `handed_over` = of those,
/// handed over in the period; `opportunity` = of those, an opportunity in the period;
/// `won` = of those, won in the period.
///
/// Invariant: `created >= handed_over >= opportunity >= won` (each stage counts a
/// subset of the one before).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub struct Funnel {
    /// Deals created in the period.
    pub created: u64,
    /// Of those, handed over to a salesperson in the period.
    pub handed_over: u64,
    /// Of those, turned into an opportunity in the period.
    pub opportunity: u64,
    /// Of those, won in the period (and not after `as_of`, docs/metrics.md#marketing).
    pub won: u64,
}

impl Funnel {
    /// Counts one deal that got `depth` stages deep (0..=4) within the period.
    #[inline]
    pub(crate) fn add_depth(&mut self, depth: usize) {
        let stages = [
            &mut self.created,
            &mut self.handed_over,
            &mut self.opportunity,
            &mut self.won,
        ];
        for stage in stages.into_iter().take(depth) {
            *stage += 1;
        }
    }

    /// Adds another funnel's counts (for merging partial states).
    pub(crate) fn merge(&mut self, other: &Funnel) {
        self.created += other.created;
        self.handed_over += other.handed_over;
        self.opportunity += other.opportunity;
        self.won += other.won;
    }

    /// `opportunity / created`. `opportunity_rate` (docs/metrics.md#marketing); `None` when no deal
    /// was created in the period.
    ///
    /// # Example
    /// ```
    /// use crm_metrics::marketing::Funnel;
    /// use rust_decimal::Decimal;
    ///
    /// let f = Funnel { created: 5, handed_over: 4, opportunity: 2, won: 1 };
    /// assert_eq!(f.opportunity_rate(), Some(Decimal::new(4, 1)));
    /// assert_eq!(f.order_rate(), Some(Decimal::new(2, 1)));
    /// assert_eq!(Funnel::default().opportunity_rate(), None);
    /// ```
    pub fn opportunity_rate(&self) -> Option<Decimal> {
        count_ratio(self.opportunity, self.created)
    }

    /// `won / created`. `order_rate` (docs/metrics.md#marketing) ("deals with an order / deals
    /// created"); `None` when no deal was created in the period.
    pub fn order_rate(&self) -> Option<Decimal> {
        count_ratio(self.won, self.created)
    }
}

/// How many stages of the cohort funnel a deal reaches within a period: 0 when it was
/// not created in it, else 1 + the stages after creation that fall in it, stopping at
/// the first stage that is absent or outside (docs/metrics.md#marketing "of those").
#[inline]
pub(crate) fn cohort_depth(stages: [Option<Ts>; 4], in_period: impl Fn(Ts) -> bool) -> usize {
    stages
        .into_iter()
        .take_while(|at| at.is_some_and(&in_period))
        .count()
}

/// The cohort funnel of `deals` for `period` in `calendar`, at `as_of` (docs/metrics.md#marketing
/// `funnel`): a deal counts at a stage when it was created in the period and it and
/// every earlier stage fall in the period, not after `as_of`.
///
/// Works on any slice of deals, validated or not: the nesting alone keeps every stage
/// at most the one before. Filter the slice first for a source or product type.
///
/// # Edge cases
/// * No deals, or none created in the period: every stage `0`, and both rates `None`.
/// * A deal whose stages fall in different periods: a deal created in the period but
///   won after it (or after `as_of`, docs/metrics.md#marketing) counts up to its last stage inside
///   the period; a deal created before the period and won in it is not in this funnel at
///   all (it counts in `revenue` and `won_deals`, not in the cohort).
/// * A missing stage ends the deal's run even when a later stage is set (such a deal is
///   `stage_skipped` in a dataset, docs/input-format.md#rejections).
///
/// # Example
/// ```
/// use chrono::{NaiveDate, TimeZone, Utc};
/// use crm_metrics::calendar::{BusinessCalendar, Period};
/// use crm_metrics::marketing::{Funnel, funnel};
/// use crm_metrics::model::Deal;
///
/// // A deal at 10:00 (+07:00) on these (month, day) dates of 2026: created, handed
/// // over, opportunity, won.
/// fn deal(stages: [(u32, u32); 4]) -> Deal {
///     let at = |(m, d)| Utc.with_ymd_and_hms(2026, m, d, 3, 0, 0).unwrap();
///     Deal::new("DL1", at(stages[0]), "facebook_ads")
///         .handed_over_at(at(stages[1]))
///         .opportunity_at(at(stages[2]))
///         .won_at(at(stages[3]))
/// }
/// let november = Period::new(
///     NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
///     NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
/// )?;
/// let deals = [
///     deal([(11, 2), (11, 3), (11, 5), (11, 9)]),   // all four stages in November
///     deal([(11, 20), (11, 21), (11, 25), (12, 2)]), // won in December: not won here
///     deal([(10, 20), (11, 1), (11, 2), (11, 3)]),   // created in October: not here
/// ];
/// let vn = BusinessCalendar::default();
/// let as_of = Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).unwrap();
/// let f = funnel(&deals, &vn, november, as_of);
/// assert_eq!(f, Funnel { created: 2, handed_over: 2, opportunity: 2, won: 1 });
///
/// // No deals: zeros, and undefined rates.
/// let empty = funnel(&[], &vn, november, as_of);
/// assert_eq!((empty.created, empty.order_rate()), (0, None));
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn funnel(
    deals: &[Deal],
    calendar: &BusinessCalendar,
    period: Period,
    as_of: DateTime<Utc>,
) -> Funnel {
    let range = calendar.range_ts(period);
    let as_of = Ts::from_datetime(as_of);
    let in_period = |at: Ts| range.start <= at && at < range.end && at <= as_of;
    let mut funnel = Funnel::default();
    for deal in deals {
        let stages = [
            Some(deal.created_at),
            deal.handed_over_at,
            deal.opportunity_at,
            deal.won_at,
        ]
        .map(|at| at.map(Ts::from_datetime));
        funnel.add_depth(cohort_depth(stages, in_period));
    }
    funnel
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn roi_by_hand() {
        // (150 - 100) / 100 = 0.5
        assert_eq!(roi(d("150"), d("100")).unwrap(), Some(d("0.5")));
        // cost 0: null, even with revenue (docs/metrics.md#marketing "null when cost is zero")
        assert_eq!(roi(d("13210000"), Decimal::ZERO).unwrap(), None);
        assert_eq!(roi(Decimal::ZERO, Decimal::ZERO).unwrap(), None);
        // negative ROI: (50 - 200) / 200 = -0.75
        assert_eq!(roi(d("50"), d("200")).unwrap(), Some(d("-0.75")));
        // nothing won: (0 - 773000) / 773000 = -1
        assert_eq!(roi(Decimal::ZERO, d("773000")).unwrap(), Some(d("-1")));
        // (13210000 - 392000) / 392000 = 12818000 / 392000 = 32.698979591836734693877551020...
        assert_eq!(
            roi(d("13210000"), d("392000"))
                .unwrap()
                .unwrap()
                .to_string(),
            "32.69897959183673469387755102"
        );
        // overflow is an error naming the metric, never a panic
        assert!(matches!(
            roi(Decimal::MIN, Decimal::MAX),
            Err(Error::Overflow {
                what: "marketing.roi"
            })
        ));
    }

    #[test]
    fn per_count_by_hand() {
        // 13210000 / 2 = 6605000
        assert_eq!(aov(d("13210000"), 2), Some(d("6605000")));
        assert_eq!(aov(d("5"), 0), None);
        // 1942000 / 3 = 647333.333... (28 significant digits after rounding)
        assert_eq!(
            cost_per(d("1942000"), 3).unwrap().to_string(),
            "647333.33333333333333333333333"
        );
        assert_eq!(cost_per(Decimal::ZERO, 1), Some(Decimal::ZERO));
        assert_eq!(cost_per(Decimal::MAX, 1), Some(Decimal::MAX));
    }

    #[test]
    fn cohort_depth_stops_at_the_first_miss() {
        let t = |s| Some(Ts::from_secs(s));
        let inside = |at: Ts| (10..20).contains(&{ at.secs });
        assert_eq!(cohort_depth([t(10), t(11), t(12), t(19)], inside), 4);
        assert_eq!(cohort_depth([t(10), t(11), t(12), t(20)], inside), 3);
        assert_eq!(cohort_depth([t(9), t(11), t(12), t(13)], inside), 0);
        // a skipped stage ends the run even if a later one is inside
        assert_eq!(cohort_depth([t(10), None, t(12), t(13)], inside), 1);
        let mut f = Funnel::default();
        f.add_depth(4);
        f.add_depth(2);
        f.add_depth(0);
        assert_eq!(
            f,
            Funnel {
                created: 2,
                handed_over: 2,
                opportunity: 1,
                won: 1
            }
        );
        // rates: 1 / 2 = 0.5 each
        assert_eq!(f.opportunity_rate(), Some(d("0.5")));
        assert_eq!(f.order_rate(), Some(d("0.5")));
    }
}
