//! RFM: recency, frequency and monetary value of every purchaser, their 1-5 scores, and
//! the segments a shop acts on (champions, loyal, new, ... hibernating).
//!
//! # The summary
//! Per customer with at least one purchase (a **purchaser**; a purchase is a completed
//! order up to `as_of`), over its purchases' local dates and totals, as the `lifetimes`
//! library's `summary_data_from_transaction_data(..., freq="D")` with
//! `observation_period_end` = today:
//! * purchase days = the distinct local dates of its purchases;
//! * `frequency = purchase days - 1`;
//! * `recency = last purchase day - first purchase day`, `t = today - first purchase
//!   day` (days), so `recency <= t` and `frequency <= t`;
//! * `monetary_value` = the mean, over the purchase days other than the first, of each
//!   day's summed totals: `(spend - spend on the first day) / frequency`, an exact decimal
//!   quotient; `0` when `frequency` is 0. Two purchases on one day are one purchase day
//!   whose totals add up.
//!
//! # Scores and segments
//! With `n` purchasers and, for a value `v` where higher is better,
//! `score = 1 + floor(5 * w / n)`, `w` = purchasers with a strictly smaller `v` ([`score`];
//! ties share a score): `r` with `v = -(today - last purchase day)`, `f` with
//! `v = purchase days`, `m` with `v = total spend`. [`segment`] names the first that
//! matches of `champions` (r >= 4 and f >= 4), `loyal` (f >= 4), `new` (r >= 4 and
//! frequency = 0), `promising` (r >= 4), `at_risk` (r <= 2 and f >= 3), `hibernating`
//! (r <= 2) and `needs_attention`.
//!
//! # Exact on shards
//! A score ranks a purchaser among all purchasers, so no shard can score alone. The
//! partial states therefore keep **value histograms**, which merge by adding counts:
//! [`Partial`] (the section) counts purchasers and sums their spend per
//! (days since the last purchase, purchase days), which after merging gives every
//! purchaser's `r` and `f` exactly (`w` is a sum of counts over smaller values), hence
//! the segments, the grid and the segments' revenue; its means are exact sums.
//! [`SummaryPartial`] (the per-purchaser rows) keeps each shard's rows and the
//! histograms of recency, purchase days and total spend ([`Ranks`]); after merging, the
//! rows are scored against the merged histograms, so every row equals the one computed
//! on the whole dataset. A distributed engine can also merge only the [`Ranks`] and score
//! each shard's rows where they are.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::ReportOptions;
use crate::dataset::{CustomerIdx, Dataset};
use crate::error::{Error, Result};
use crate::fold::Fold;
use crate::money::{DecimalSum, POW10_64, count_ratio, ratio};
use crate::purchase_days::{AddPurchaser, Days, Frame, Loader, Purchaser, customer_id, fold_all};

/// An RFM segment, in the order they are tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Segment {
    /// r >= 4 and f >= 4: bought recently and often.
    Champions,
    /// f >= 4: buys often.
    Loyal,
    /// r >= 4 and frequency 0: one recent purchase day.
    New,
    /// r >= 4: bought recently.
    Promising,
    /// r <= 2 and f >= 3: bought often, not lately.
    AtRisk,
    /// r <= 2: not lately.
    Hibernating,
    /// The rest.
    NeedsAttention,
}

impl Segment {
    /// Every segment, in the order they are tried (and listed in the report).
    pub const ALL: [Segment; 7] = [
        Segment::Champions,
        Segment::Loyal,
        Segment::New,
        Segment::Promising,
        Segment::AtRisk,
        Segment::Hibernating,
        Segment::NeedsAttention,
    ];

    /// The snake_case name: `champions`, ..., `needs_attention`.
    pub fn name(self) -> &'static str {
        match self {
            Segment::Champions => "champions",
            Segment::Loyal => "loyal",
            Segment::New => "new",
            Segment::Promising => "promising",
            Segment::AtRisk => "at_risk",
            Segment::Hibernating => "hibernating",
            Segment::NeedsAttention => "needs_attention",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Segment {
    type Err = Error;

    fn from_str(s: &str) -> Result<Segment> {
        Segment::ALL
            .into_iter()
            .find(|seg| seg.name() == s)
            .ok_or_else(|| Error::InvalidArgument(format!("unknown RFM segment {s:?}")))
    }
}

/// The score of a value among `purchasers` values: `1 + floor(5 * smaller / purchasers)`,
/// `smaller` being the number of purchasers with a strictly smaller (worse) value.
///
/// # Edge cases
/// * Ties share a score: equal values have the same `smaller`.
/// * The lowest value scores 1; a value above all others scores `1 + floor(5 (n-1) / n)`,
///   5 once `n >= 5` (with 2 purchasers: 1 and 3).
/// * `purchasers == 0` (nothing to rank) gives 1; `smaller > purchasers` counts as
///   `purchasers` (5).
///
/// # Example
/// ```
/// use crm_metrics::rfm::score;
///
/// // Values 10, 20, 20, 30 (n = 4): 10 has w = 0, 20 has w = 1, 30 has w = 3.
/// assert_eq!(score(0, 4), 1); // 1 + floor(0 / 4)
/// assert_eq!(score(1, 4), 2); // 1 + floor(5 / 4)
/// assert_eq!(score(3, 4), 4); // 1 + floor(15 / 4)
/// assert_eq!(score(0, 0), 1);
/// ```
pub fn score(smaller: u64, purchasers: u64) -> u8 {
    if purchasers == 0 {
        return 1;
    }
    let w = smaller.min(purchasers);
    // OK because w <= n, so 5 w / n <= 5 (and min(4) keeps w = n at 5).
    let fifths = match w.checked_mul(5) {
        Some(five_w) => five_w / purchasers,
        None => (u128::from(w) * 5 / u128::from(purchasers)) as u64,
    };
    (1 + fifths.min(4)) as u8
}

/// The segment of a purchaser with scores `r`, `f` and `frequency` repeat purchase days:
/// the first that matches of champions (r >= 4 and f >= 4), loyal (f >= 4), new (r >= 4
/// and frequency 0), promising (r >= 4), at_risk (r <= 2 and f >= 3), hibernating
/// (r <= 2), needs_attention.
///
/// # Example
/// ```
/// use crm_metrics::rfm::{Segment, segment};
///
/// assert_eq!(segment(5, 4, 3), Segment::Champions);
/// assert_eq!(segment(3, 5, 8), Segment::Loyal);
/// assert_eq!(segment(4, 1, 0), Segment::New);
/// assert_eq!(segment(4, 2, 1), Segment::Promising);
/// assert_eq!(segment(2, 3, 2), Segment::AtRisk);
/// assert_eq!(segment(1, 1, 0), Segment::Hibernating);
/// assert_eq!(segment(3, 3, 2), Segment::NeedsAttention);
/// ```
pub fn segment(r: u8, f: u8, frequency: u64) -> Segment {
    if r >= 4 && f >= 4 {
        Segment::Champions
    } else if f >= 4 {
        Segment::Loyal
    } else if r >= 4 && frequency == 0 {
        Segment::New
    } else if r >= 4 {
        Segment::Promising
    } else if r <= 2 && f >= 3 {
        Segment::AtRisk
    } else if r <= 2 {
        Segment::Hibernating
    } else {
        Segment::NeedsAttention
    }
}

/// The RFM section of the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RfmSection {
    /// Purchasers.
    pub customers: u64,
    /// Means over purchasers.
    pub summary: RfmMeans,
    /// The 7 segments in [`Segment::ALL`] order, zeros included.
    pub segments: Vec<SegmentRow>,
    /// Purchasers per (r, f): 5 rows, r = 5 first down to r = 1, of 5 counts, f = 1 first.
    pub grid: [[u64; 5]; 5],
}

/// Means over purchasers, exact decimal quotients; `None` when there is no purchaser.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RfmMeans {
    /// Mean `frequency`.
    pub mean_frequency: Option<Decimal>,
    /// Mean `recency` (days).
    pub mean_recency: Option<Decimal>,
    /// Mean `t` (days).
    pub mean_t: Option<Decimal>,
    /// Mean `monetary_value` over purchasers with `frequency > 0`: the exact, unrounded
    /// sum of their `monetary_value`s divided by their number, so that no order of
    /// addition can change it. `None` when none has `frequency > 0`.
    pub mean_monetary_value: Option<Decimal>,
}

/// One segment of [`RfmSection::segments`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentRow {
    /// The segment.
    pub segment: Segment,
    /// Its purchasers.
    pub customers: u64,
    /// `customers / purchasers`; `None` without purchasers.
    pub customer_share: Option<Decimal>,
    /// Their total spend (all their purchases up to `as_of`).
    pub revenue: Decimal,
    /// `revenue / total spend of all purchasers`; `None` when that is 0.
    pub revenue_share: Option<Decimal>,
}

/// One purchaser's row of [`summary`] (and of the CSV of [`write_csv`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RfmRow {
    /// The customer's id.
    pub customer_id: String,
    /// Purchase days - 1.
    pub frequency: u64,
    /// Last purchase day - first purchase day.
    pub recency: u64,
    /// Today - first purchase day.
    pub t: u64,
    /// Mean of the daily totals of the purchase days other than the first; 0 when none.
    pub monetary_value: Decimal,
    /// Recency score, 1-5.
    pub r: u8,
    /// Frequency score, 1-5.
    pub f: u8,
    /// Monetary score (total spend), 1-5.
    pub m: u8,
    /// The segment.
    pub segment: Segment,
}

/// `monetary_value`: the summed totals of the purchase days other than the first,
/// divided by their number (`frequency`); `0` when `frequency` is 0.
///
/// # Errors
/// [`Error::Overflow`] when `spend - first_day_spend` does not fit in a decimal.
///
/// # Example
/// ```
/// use crm_metrics::rfm::monetary_value;
/// use rust_decimal::Decimal;
///
/// // Days: 100 (first), 30 + 20 (one day), 40: (50 + 40) / 2 = 45.
/// let v = monetary_value(Decimal::from(190), Decimal::from(100), 2)?;
/// assert_eq!(v, Decimal::from(45));
/// assert_eq!(monetary_value(Decimal::from(100), Decimal::from(100), 0)?, Decimal::ZERO);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn monetary_value(spend: Decimal, first_day_spend: Decimal, frequency: u64) -> Result<Decimal> {
    if frequency == 0 {
        return Ok(Decimal::ZERO);
    }
    let rest = spend
        .checked_sub(first_day_spend)
        .ok_or_else(|| Error::overflow("rfm.monetary_value"))?;
    Ok(ratio("rfm.monetary_value", rest, Decimal::from(frequency))?.unwrap_or(Decimal::ZERO))
}

/// One purchaser's values before scoring.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Facts {
    /// Days since the last purchase day (`today - last`).
    since_last: u64,
    /// Purchase days.
    days: u64,
    recency: u64,
    t: u64,
    spend: Decimal,
    monetary_value: Decimal,
}

impl Facts {
    fn of(days: &Days, c: &impl Purchaser) -> Result<Facts> {
        let frequency = u64::from(c.days().saturating_sub(1));
        let nonneg = |x: i64| x.max(0).unsigned_abs();
        let mut spend = DecimalSum::new();
        c.add_spend(&mut spend);
        Ok(Facts {
            since_last: nonneg(days.today - c.last_day()),
            days: u64::from(c.days()),
            recency: nonneg(c.last_day() - c.first_day()),
            t: nonneg(days.today - c.first_day()),
            spend: spend.finish("rfm.spend")?,
            monetary_value: c.monetary(frequency)?,
        })
    }

    fn frequency(&self) -> u64 {
        self.days.saturating_sub(1)
    }
}

/// An exact, mergeable sum of decimals of any scales and its count, for a mean that no
/// order of addition can change: one `i128` per scale, combined only at the end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct MeanSum {
    /// Sum of mantissas per scale (0..=28).
    by_scale: Vec<i128>,
    count: u64,
    overflow: bool,
}

impl MeanSum {
    #[inline]
    fn add(&mut self, value: Decimal) {
        let scale = value.scale() as usize;
        if self.by_scale.len() <= scale {
            self.by_scale.resize(scale + 1, 0);
        }
        if let Some(slot) = self.by_scale.get_mut(scale) {
            match slot.checked_add(value.mantissa()) {
                Some(s) => *slot = s,
                None => self.overflow = true,
            }
        }
        self.count += 1;
    }

    fn merge(&mut self, other: &MeanSum) {
        if self.by_scale.len() < other.by_scale.len() {
            self.by_scale.resize(other.by_scale.len(), 0);
        }
        for (a, b) in self.by_scale.iter_mut().zip(&other.by_scale) {
            match a.checked_add(*b) {
                Some(s) => *a = s,
                None => self.overflow = true,
            }
        }
        self.overflow |= other.overflow;
        self.count += other.count;
    }

    /// The sum divided by the count, as `rust_decimal` divides; `None` when
    /// the count is 0.
    fn mean(&self, what: &'static str) -> Result<Option<Decimal>> {
        if self.count == 0 {
            return Ok(None);
        }
        if self.overflow {
            return Err(Error::overflow(what));
        }
        // When the exact sum is a decimal, this is the plain quotient.
        let mut sum = DecimalSum::new();
        for (scale, &m) in self.by_scale.iter().enumerate() {
            if let Ok(d) = Decimal::try_from_i128_with_scale(m, scale as u32) {
                sum.add(d);
            } else {
                return wide::mean(&self.by_scale, self.count)
                    .map(Some)
                    .ok_or_else(|| Error::overflow(what));
            }
        }
        match sum.finish(what) {
            Ok(total) => ratio(what, total, Decimal::from(self.count)),
            Err(_) => wide::mean(&self.by_scale, self.count)
                .map(Some)
                .ok_or_else(|| Error::overflow(what)),
        }
    }
}

mod wide {
    //! The mean of a sum too wide for a decimal: 256-bit integers, rounded as
    //! `rust_decimal` rounds a quotient (the most fractional digits, up to 28, whose
    //! mantissa fits in 96 bits; half to even).
    use rust_decimal::Decimal;

    /// An unsigned 256-bit integer, `(high, low)`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
    pub(super) struct U256(u128, u128);

    impl U256 {
        fn add(self, other: U256) -> Option<U256> {
            let (low, carry) = self.1.overflowing_add(other.1);
            let high = self
                .0
                .checked_add(other.0)?
                .checked_add(u128::from(carry))?;
            Some(U256(high, low))
        }

        fn sub(self, other: U256) -> Option<U256> {
            let (low, borrow) = self.1.overflowing_sub(other.1);
            let high = self
                .0
                .checked_sub(other.0)?
                .checked_sub(u128::from(borrow))?;
            Some(U256(high, low))
        }

        /// `a * b` for `a, b < 2^128`.
        pub(super) fn mul(a: u128, b: u128) -> U256 {
            let mask = u128::from(u64::MAX);
            let (a1, a0) = (a >> 64, a & mask);
            let (b1, b0) = (b >> 64, b & mask);
            let p00 = a0 * b0;
            let p01 = a0 * b1;
            let p10 = a1 * b0;
            let p11 = a1 * b1;
            let mid = (p00 >> 64) + (p01 & mask) + (p10 & mask);
            let low = (p00 & mask) | (mid << 64);
            let high = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
            U256(high, low)
        }

        /// `(self / d, self % d)` for `0 < d < 2^127`.
        pub(super) fn div_rem(self, d: u128) -> (U256, u128) {
            let mut q = U256::default();
            let mut r: u128 = 0;
            for i in (0..256).rev() {
                let bit = if i >= 128 {
                    (self.0 >> (i - 128)) & 1
                } else {
                    (self.1 >> i) & 1
                };
                r = (r << 1) | bit;
                if r >= d {
                    r -= d;
                    if i >= 128 {
                        q.0 |= 1 << (i - 128);
                    } else {
                        q.1 |= 1 << i;
                    }
                }
            }
            (q, r)
        }
    }

    /// `sum(by_scale[s] / 10^s) / count`, `None` when it does not fit in a decimal.
    pub(super) fn mean(by_scale: &[i128], count: u64) -> Option<Decimal> {
        let (mut positive, mut negative) = (U256::default(), U256::default());
        for (s, &m) in by_scale.iter().enumerate() {
            let factor = 10u128.checked_pow(28u32.checked_sub(s as u32)?)?;
            let term = U256::mul(m.unsigned_abs(), factor);
            if m >= 0 {
                positive = positive.add(term)?;
            } else {
                negative = negative.add(term)?;
            }
        }
        let (magnitude, sign) = if positive >= negative {
            (positive.sub(negative)?, false)
        } else {
            (negative.sub(positive)?, true)
        };
        // The value is magnitude / 10^28 / count: try the finest scale first.
        for scale in (0..=28u32).rev() {
            let divisor = u128::from(count).checked_mul(10u128.checked_pow(28 - scale)?)?;
            if divisor >= 1 << 127 {
                return None;
            }
            let (q, r) = magnitude.div_rem(divisor);
            let (q, r2) = (q, r << 1);
            let round_up = r2 > divisor || (r2 == divisor && q.1 & 1 == 1);
            let q = if round_up { q.add(U256(0, 1))? } else { q };
            if q.0 == 0 && q.1 < 1 << 96 {
                // OK because q < 2^96 fits an i128.
                let m = q.1 as i128;
                return Decimal::try_from_i128_with_scale(if sign { -m } else { m }, scale).ok();
            }
        }
        None
    }
}

/// Score histograms: for recency (days since the last purchase), purchase days and total
/// spend, the number of purchasers with each value. Merging adds counts; after merging,
/// [`Ranks::scores`] scores any purchaser exactly as on the whole dataset.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Ranks {
    since_last: BTreeMap<u64, u64>,
    days: BTreeMap<u64, u64>,
    spend: BTreeMap<Decimal, u64>,
    purchasers: u64,
}

/// [`Ranks`] with, for each value, `w` (purchasers with a strictly worse value).
struct Scorer<'a> {
    ranks: &'a Ranks,
    since_last: BTreeMap<u64, u64>,
    days: BTreeMap<u64, u64>,
    spend: BTreeMap<Decimal, u64>,
}

impl Ranks {
    fn add(&mut self, facts: &Facts) {
        *self.since_last.entry(facts.since_last).or_default() += 1;
        *self.days.entry(facts.days).or_default() += 1;
        *self.spend.entry(facts.spend).or_default() += 1;
        self.purchasers += 1;
    }

    /// Adds the histograms of a disjoint shard.
    pub fn merge(&mut self, other: &Ranks) {
        for (k, v) in &other.since_last {
            *self.since_last.entry(*k).or_default() += v;
        }
        for (k, v) in &other.days {
            *self.days.entry(*k).or_default() += v;
        }
        for (k, v) in &other.spend {
            *self.spend.entry(*k).or_default() += v;
        }
        self.purchasers += other.purchasers;
    }

    /// Purchasers counted.
    pub fn purchasers(&self) -> u64 {
        self.purchasers
    }

    /// The scores `(r, f, m)` of a purchaser whose last purchase day is `since_last`
    /// days before today, with `days` purchase days and a total spend of `spend`.
    pub fn scores(&self, since_last: u64, days: u64, spend: Decimal) -> (u8, u8, u8) {
        self.scorer().scores(since_last, days, spend)
    }

    fn scorer(&self) -> Scorer<'_> {
        // Recency: fewer days since the last purchase is better, so w counts larger values.
        let mut since_last = BTreeMap::new();
        let mut larger = 0;
        for (&k, &v) in self.since_last.iter().rev() {
            since_last.insert(k, larger);
            larger += v;
        }
        Scorer {
            ranks: self,
            since_last,
            days: cumulative(&self.days),
            spend: cumulative(&self.spend),
        }
    }
}

/// For each value, the total count of strictly smaller values.
fn cumulative<K: Ord + Copy>(histogram: &BTreeMap<K, u64>) -> BTreeMap<K, u64> {
    let mut smaller = 0;
    let mut out = BTreeMap::new();
    for (&k, &v) in histogram {
        out.insert(k, smaller);
        smaller += v;
    }
    out
}

impl Scorer<'_> {
    fn scores(&self, since_last: u64, days: u64, spend: Decimal) -> (u8, u8, u8) {
        let n = self.ranks.purchasers;
        // A value not in the histograms (not a purchaser's) ranks where it would fall.
        let w_r = self
            .since_last
            .get(&since_last)
            .copied()
            .unwrap_or_else(|| {
                self.ranks
                    .since_last
                    .range(since_last + 1..)
                    .map(|(_, v)| v)
                    .sum()
            });
        let w_f = self
            .days
            .get(&days)
            .copied()
            .unwrap_or_else(|| self.ranks.days.range(..days).map(|(_, v)| v).sum());
        let w_m = self
            .spend
            .get(&spend)
            .copied()
            .unwrap_or_else(|| self.ranks.spend.range(..spend).map(|(_, v)| v).sum());
        (score(w_r, n), score(w_f, n), score(w_m, n))
    }
}

/// One cell of the section's joint histogram: purchasers and their spend.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Cell {
    customers: u64,
    spend: DecimalSum,
}

/// Cells kept in dense arrays up to these bounds (days since the last purchase, purchase
/// days); the rare values beyond go to a map.
const DENSE_SINCE_LAST: u64 = 4096;
const DENSE_DAYS: u64 = 16;

/// Serde for a map whose keys are not strings (a tuple), as a list of `(key, value)`
/// pairs, so that the state serializes in JSON too (whose map keys are strings).
#[cfg(feature = "serde")]
mod pairs {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(super) fn serialize<S: Serializer, K: Serialize, V: Serialize>(
        map: &BTreeMap<K, V>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(map.iter())
    }

    pub(super) fn deserialize<'de, D, K, V>(deserializer: D) -> Result<BTreeMap<K, V>, D::Error>
    where
        D: Deserializer<'de>,
        K: Deserialize<'de> + Ord,
        V: Deserialize<'de>,
    {
        Ok(Vec::<(K, V)>::deserialize(deserializer)?
            .into_iter()
            .collect())
    }
}

/// The mergeable partial state of the RFM section: purchasers and spend per (days since
/// the last purchase, purchase days), exact sums for the means. See the module docs for
/// why this is exact on shards.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Partial {
    frame: Frame,
    /// Reused buffers of the hot loop, not part of the state.
    #[cfg_attr(feature = "serde", serde(skip, default))]
    scratch: Option<Box<Loader>>,
    /// `dense[days - 1][since_last]`: a column per number of purchase days, each as
    /// long as the largest `since_last` seen with it needs, so that the cells of the
    /// common few purchase days sit together in cache. Serialized as before this
    /// layout: one list of rows of `DENSE_DAYS` cells (see `row_major`).
    #[cfg_attr(feature = "serde", serde(with = "row_major"))]
    dense: Vec<Vec<Cell>>,
    /// Serialized as a list of `[key, cell]` pairs: JSON map keys must be strings.
    #[cfg_attr(feature = "serde", serde(with = "pairs"))]
    sparse: BTreeMap<(u64, u64), Cell>,
    purchasers: u64,
    sum_frequency: u64,
    sum_recency: u64,
    sum_t: u64,
    monetary: MeanSum,
    /// A customer's spend did not fit in a decimal.
    overflow: bool,
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
        let pending = self.add_sums(days, customer);
        self.add_cells(&[pending]);
    }
}

/// A purchaser's place in the joint histogram of [`Partial`] and its spend, waiting to
/// be added ([`Partial::add_cells`]).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct PendingCell {
    since_last: u64,
    days: u64,
    spend: DecimalSum,
}

impl Partial {
    /// Adds a purchaser to everything but the joint histogram, and returns what it adds
    /// there, for [`add_cells`](Partial::add_cells). Adding purchasers' cells in batches
    /// lets the processor fetch several cells from memory at once (the histogram does not
    /// stay in cache while a report reads every customer's rows), where adding each in
    /// the middle of its customer's work waits for each fetch in turn.
    #[inline]
    pub(crate) fn add_sums<P: Purchaser>(&mut self, days: &Days, customer: &P) -> PendingCell {
        let nonneg = |x: i64| x.max(0).unsigned_abs();
        let (first, last) = (customer.first_day(), customer.last_day());
        let since_last = nonneg(days.today - last);
        let purchase_days = u64::from(customer.days());
        let frequency = purchase_days.saturating_sub(1);
        let mut pending = PendingCell {
            since_last,
            days: purchase_days,
            spend: DecimalSum::new(),
        };
        customer.add_spend(&mut pending.spend);
        self.purchasers += 1;
        self.sum_frequency += frequency;
        self.sum_recency += nonneg(last - first);
        self.sum_t += nonneg(days.today - first);
        if frequency > 0 {
            match customer.monetary(frequency) {
                Ok(value) => self.monetary.add(value),
                Err(_) => self.overflow = true,
            }
        }
        pending
    }

    /// Adds purchasers' cells returned by [`add_sums`](Partial::add_sums).
    #[inline]
    pub(crate) fn add_cells(&mut self, cells: &[PendingCell]) {
        for pending in cells {
            let cell = self.cell(pending.since_last, pending.days);
            cell.customers += 1;
            // Overflow is sticky in the sum and reported by finish.
            cell.spend.merge_small(&pending.spend);
        }
    }

    /// Every non-empty cell as ((since_last, days), cell).
    fn cells(&self) -> impl Iterator<Item = ((u64, u64), &Cell)> + '_ {
        let dense = self.dense.iter().enumerate().flat_map(|(d, column)| {
            column
                .iter()
                .enumerate()
                .filter(|(_, c)| c.customers > 0)
                .map(move |(since_last, c)| ((since_last as u64, d as u64 + 1), c))
        });
        dense.chain(self.sparse.iter().map(|(&k, c)| (k, c)))
    }

    /// The cell of (days since the last purchase, purchase days).
    #[inline]
    fn cell(&mut self, since_last: u64, days: u64) -> &mut Cell {
        if since_last < DENSE_SINCE_LAST && (1..=DENSE_DAYS).contains(&days) {
            if self.dense.is_empty() {
                self.dense = vec![Vec::new(); DENSE_DAYS as usize];
            }
            let column = &mut self.dense[days as usize - 1];
            let k = since_last as usize;
            if column.len() <= k {
                let len = (k + 1).max(column.len() * 2).min(DENSE_SINCE_LAST as usize);
                column.resize(len, Cell::default());
            }
            &mut column[k]
        } else {
            self.sparse.entry((since_last, days)).or_default()
        }
    }

    fn merge_cell(&mut self, key: (u64, u64), other: &Cell) {
        let cell = self.cell(key.0, key.1);
        cell.customers += other.customers;
        cell.spend.merge(&other.spend);
    }
}

/// The dense cells of [`Partial`]'s joint histogram in a third of the memory, for the
/// report's pass: 16 bytes a cell (purchasers, and their spend as a 64-bit mantissa
/// and its scale) instead of 48, so that more of the cells a pass over a million
/// customers visits at random stay in cache. Each cell is an exact sum with the
/// semantics of [`DecimalSum`] (the finest scale of its amounts); a cell that would
/// leave the 64-bit range, and every purchaser outside the dense bounds or whose spend
/// does not fit, goes to the [`Partial`] at once, so [`drain_into`](Self::drain_into)
/// leaves the partial state exactly as adding every purchaser to it would.
#[derive(Clone, Debug, Default)]
pub(crate) struct CompactCells {
    /// `columns[days - 1][since_last]`, grown as [`Partial::cell`] grows its columns.
    columns: Vec<Vec<SmallCell>>,
}

/// One cell of [`CompactCells`]: `customers` purchasers whose spend adds up to
/// `mantissa / 10^scale`.
#[derive(Clone, Copy, Debug, Default)]
struct SmallCell {
    mantissa: i64,
    customers: u32,
    scale: u32,
}

impl SmallCell {
    /// Adds one purchaser with spend `mantissa / 10^scale`; `false` (the cell unchanged)
    /// when the sum or the count would leave its range.
    #[inline]
    fn add(&mut self, mantissa: i64, scale: u32) -> bool {
        let sum = if self.customers == 0 {
            Some((mantissa, scale))
        } else if self.customers == u32::MAX {
            None
        } else if scale == self.scale {
            self.mantissa.checked_add(mantissa).map(|m| (m, scale))
        } else if scale < self.scale {
            POW10_64
                .get((self.scale - scale) as usize)
                .and_then(|&f| mantissa.checked_mul(f))
                .and_then(|m| self.mantissa.checked_add(m))
                .map(|m| (m, self.scale))
        } else {
            POW10_64
                .get((scale - self.scale) as usize)
                .and_then(|&f| self.mantissa.checked_mul(f))
                .and_then(|m| m.checked_add(mantissa))
                .map(|m| (m, scale))
        };
        match sum {
            Some((m, s)) => {
                self.mantissa = m;
                self.scale = s;
                self.customers += 1;
                true
            }
            None => false,
        }
    }

    /// Adds the cell to `partial`'s cell of `(since_last, days)`.
    fn drain(self, partial: &mut Partial, since_last: u64, days: u64) {
        if self.customers == 0 {
            return;
        }
        let cell = partial.cell(since_last, days);
        cell.customers += u64::from(self.customers);
        cell.spend
            .add_mantissa(i128::from(self.mantissa), self.scale);
    }
}

impl CompactCells {
    /// Adds purchasers' cells returned by [`Partial::add_sums`]: here when they fit,
    /// else to `partial`.
    #[inline]
    pub(crate) fn add(&mut self, partial: &mut Partial, cells: &[PendingCell]) {
        for pending in cells {
            let dense =
                pending.since_last < DENSE_SINCE_LAST && (1..=DENSE_DAYS).contains(&pending.days);
            let small = pending
                .spend
                .parts()
                .and_then(|(m, s)| Some((i64::try_from(m).ok()?, s)));
            let (true, Some((mantissa, scale))) = (dense, small) else {
                partial.add_cells(std::slice::from_ref(pending));
                continue;
            };
            if self.columns.is_empty() {
                self.columns = vec![Vec::new(); DENSE_DAYS as usize];
            }
            let Some(column) = self.columns.get_mut(pending.days as usize - 1) else {
                continue;
            };
            let k = pending.since_last as usize;
            if column.len() <= k {
                let len = (k + 1).max(column.len() * 2).min(DENSE_SINCE_LAST as usize);
                column.resize(len, SmallCell::default());
            }
            let Some(cell) = column.get_mut(k) else {
                continue;
            };
            if !cell.add(mantissa, scale) {
                // Full: move the cell's sums to the partial state and start again.
                std::mem::take(cell).drain(partial, pending.since_last, pending.days);
                if !cell.add(mantissa, scale) {
                    partial.add_cells(std::slice::from_ref(pending));
                }
            }
        }
    }

    /// Moves every cell's sums to `partial` and empties this.
    pub(crate) fn drain_into(&mut self, partial: &mut Partial) {
        for (d, column) in self.columns.iter_mut().enumerate() {
            for (since_last, cell) in column.iter_mut().enumerate() {
                std::mem::take(cell).drain(partial, since_last as u64, d as u64 + 1);
            }
        }
    }
}

/// The serialized form of [`Partial`]'s dense cells: rows of `DENSE_DAYS` cells by
/// days since the last purchase (`cells[since_last * DENSE_DAYS + days - 1]`), the
/// layout of the envelope's version 1, whatever the layout in memory.
#[cfg(feature = "serde")]
mod row_major {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::rfm::{Cell, DENSE_DAYS};

    pub(super) fn serialize<S: Serializer>(
        columns: &[Vec<Cell>],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let stride = DENSE_DAYS as usize;
        let rows = columns.iter().map(Vec::len).max().unwrap_or(0);
        let mut flat = vec![Cell::default(); rows * stride];
        for (d, column) in columns.iter().enumerate() {
            for (since_last, cell) in column.iter().enumerate() {
                if let Some(slot) = flat.get_mut(since_last * stride + d) {
                    *slot = *cell;
                }
            }
        }
        flat.serialize(serializer)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<Vec<Cell>>, D::Error> {
        let flat = Vec::<Cell>::deserialize(deserializer)?;
        let stride = DENSE_DAYS as usize;
        if flat.is_empty() {
            return Ok(Vec::new());
        }
        let mut columns = vec![Vec::with_capacity(flat.len() / stride); stride];
        for row in flat.chunks(stride) {
            for (column, cell) in columns.iter_mut().zip(row) {
                column.push(*cell);
            }
        }
        Ok(columns)
    }
}

impl Fold for Partial {
    type Output = RfmSection;

    fn new(options: &ReportOptions) -> Result<Partial> {
        Ok(Partial {
            frame: Frame::new(options)?,
            scratch: None,
            dense: Vec::new(),
            sparse: BTreeMap::new(),
            purchasers: 0,
            sum_frequency: 0,
            sum_recency: 0,
            sum_t: 0,
            monetary: MeanSum::default(),
            overflow: false,
        })
    }

    fn add_customer(&mut self, dataset: &Dataset, customer: CustomerIdx) {
        let mut loader = self.scratch.take().unwrap_or_default();
        loader.add_customer(self, dataset, customer);
        self.scratch = Some(loader);
    }

    fn merge(&mut self, other: Partial) -> Result<()> {
        self.frame.check_same(&other.frame, "rfm")?;
        for (key, cell) in other.cells() {
            self.merge_cell(key, cell);
        }
        self.purchasers += other.purchasers;
        self.sum_frequency += other.sum_frequency;
        self.sum_recency += other.sum_recency;
        self.sum_t += other.sum_t;
        self.monetary.merge(&other.monetary);
        self.overflow |= other.overflow;
        Ok(())
    }

    fn finish(self) -> Result<RfmSection> {
        if self.overflow {
            return Err(Error::overflow("rfm.spend"));
        }
        let n = self.purchasers;
        // Histograms of days since the last purchase and of purchase days, dense up to
        // the dense bounds (the rare larger values in maps), then w for each value: for
        // r the purchasers whose last purchase is longer ago, for f those with fewer days.
        let mut since_last = vec![0u64; self.dense.iter().map(Vec::len).max().unwrap_or(0)];
        let mut days = vec![0u64; DENSE_DAYS as usize + 1];
        let mut since_last_far: BTreeMap<u64, u64> = BTreeMap::new();
        let mut days_far: BTreeMap<u64, u64> = BTreeMap::new();
        for ((s, d), cell) in self.cells() {
            match since_last.get_mut(s as usize) {
                Some(x) => *x += cell.customers,
                None => *since_last_far.entry(s).or_default() += cell.customers,
            }
            match days.get_mut(d as usize) {
                Some(x) => *x += cell.customers,
                None => *days_far.entry(d).or_default() += cell.customers,
            }
        }
        let mut far_larger = 0;
        let mut w_r_far = BTreeMap::new();
        for (&k, &v) in since_last_far.iter().rev() {
            w_r_far.insert(k, far_larger);
            far_larger += v;
        }
        let mut w_r = vec![0u64; since_last.len()];
        let mut larger = far_larger;
        for (w, count) in w_r.iter_mut().zip(&since_last).rev() {
            *w = larger;
            larger += count;
        }
        let mut w_f = vec![0u64; days.len()];
        let mut smaller = 0;
        for (w, count) in w_f.iter_mut().zip(&days) {
            *w = smaller;
            smaller += count;
        }
        let mut w_f_far = BTreeMap::new();
        for (&k, &v) in &days_far {
            w_f_far.insert(k, smaller);
            smaller += v;
        }
        let mut customers = [0u64; 7];
        let mut revenue = [DecimalSum::new(); 7];
        let mut total = DecimalSum::new();
        let mut grid = [[0u64; 5]; 5];
        for ((s, d), cell) in self.cells() {
            let w = w_r.get(s as usize).or_else(|| w_r_far.get(&s));
            let r = score(w.copied().unwrap_or(0), n);
            let w = w_f.get(d as usize).or_else(|| w_f_far.get(&d));
            let f = score(w.copied().unwrap_or(0), n);
            let seg = segment(r, f, d.saturating_sub(1)).index();
            customers[seg] += cell.customers;
            revenue[seg].merge(&cell.spend);
            total.merge(&cell.spend);
            grid[5 - usize::from(r)][usize::from(f) - 1] += cell.customers;
        }
        let total = total.finish("rfm.revenue")?;
        let segments = Segment::ALL
            .into_iter()
            .map(|seg| {
                let i = seg.index();
                let revenue = revenue[i].finish("rfm.segments.revenue")?;
                Ok(SegmentRow {
                    segment: seg,
                    customers: customers[i],
                    customer_share: count_ratio(customers[i], n),
                    revenue,
                    revenue_share: ratio("rfm.segments.revenue_share", revenue, total)?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(RfmSection {
            customers: n,
            summary: RfmMeans {
                mean_frequency: count_ratio(self.sum_frequency, n),
                mean_recency: count_ratio(self.sum_recency, n),
                mean_t: count_ratio(self.sum_t, n),
                mean_monetary_value: self.monetary.mean("rfm.summary.mean_monetary_value")?,
            },
            segments,
            grid,
        })
    }
}

/// The mergeable partial state of [`summary`]: each shard's purchasers (by customer id)
/// and the score histograms ([`Ranks`]). After merging, [`finish`](Fold::finish) scores
/// every row against the merged histograms.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SummaryPartial {
    frame: Frame,
    /// Reused buffers of the hot loop, not part of the state.
    #[cfg_attr(feature = "serde", serde(skip, default))]
    scratch: Option<Box<Loader>>,
    rows: Vec<(String, Facts)>,
    ranks: Ranks,
    overflow: bool,
}

impl SummaryPartial {
    /// The score histograms so far.
    pub fn ranks(&self) -> &Ranks {
        &self.ranks
    }
}

impl AddPurchaser for SummaryPartial {
    fn frame(&self) -> &Frame {
        &self.frame
    }

    fn add_purchaser<P: Purchaser>(
        &mut self,
        days: &Days,
        purchaser: &P,
        dataset: &Dataset,
        customer: CustomerIdx,
    ) {
        match Facts::of(days, purchaser) {
            Ok(facts) => {
                self.ranks.add(&facts);
                self.rows
                    .push((customer_id(dataset, customer).to_owned(), facts));
            }
            Err(_) => self.overflow = true,
        }
    }
}

impl Fold for SummaryPartial {
    type Output = Vec<RfmRow>;

    fn new(options: &ReportOptions) -> Result<SummaryPartial> {
        Ok(SummaryPartial {
            frame: Frame::new(options)?,
            scratch: None,
            rows: Vec::new(),
            ranks: Ranks::default(),
            overflow: false,
        })
    }

    fn add_customer(&mut self, dataset: &Dataset, customer: CustomerIdx) {
        let mut loader = self.scratch.take().unwrap_or_default();
        loader.add_customer(self, dataset, customer);
        self.scratch = Some(loader);
    }

    fn merge(&mut self, other: SummaryPartial) -> Result<()> {
        self.frame.check_same(&other.frame, "rfm summary")?;
        self.ranks.merge(&other.ranks);
        self.rows.extend(other.rows);
        self.overflow |= other.overflow;
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<RfmRow>> {
        if self.overflow {
            return Err(Error::overflow("rfm.spend"));
        }
        self.rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let scorer = self.ranks.scorer();
        Ok(self
            .rows
            .iter()
            .map(|(id, facts)| {
                let (r, f, m) = scorer.scores(facts.since_last, facts.days, facts.spend);
                RfmRow {
                    customer_id: id.clone(),
                    frequency: facts.frequency(),
                    recency: facts.recency,
                    t: facts.t,
                    monetary_value: facts.monetary_value,
                    r,
                    f,
                    m,
                    segment: segment(r, f, facts.frequency()),
                }
            })
            .collect())
    }
}

/// The RFM section: purchasers, means, the 7 segments and the 5 x 5 grid of r by f.
/// Field `rfm`.
///
/// `segments[].revenue` is the segment's total spend (all purchases up to `as_of`),
/// `customer_share` is over purchasers and `revenue_share` over the total spend of all
/// purchasers (`None` when that is 0). See the module docs for every formula.
///
/// # Errors
/// * [`Error::Overflow`] when a spend or a sum does not fit in a decimal;
/// * [`Error::InvalidArgument`] when the options do not resolve.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, rfm, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(500).seed(7).as_of(as_of).dataset()?;
/// let s = rfm::section(&dataset, &ReportOptions::new(as_of))?;
/// let in_segments: u64 = s.segments.iter().map(|row| row.customers).sum();
/// let in_grid: u64 = s.grid.iter().flatten().sum();
/// assert_eq!((in_segments, in_grid), (s.customers, s.customers));
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn section(dataset: &Dataset, options: &ReportOptions) -> Result<RfmSection> {
    fold_all::<Partial>(dataset, options)
}

/// Every purchaser's row (customer id, frequency, recency, t, monetary_value, r, f, m,
/// segment), sorted by customer id in plain string order.
///
/// # Errors
/// As [`section`].
///
/// # Example: two purchases on one day
/// ```
/// # use chrono::{DateTime, TimeZone, Utc};
/// # use crm_metrics::model::{Customer, Order, OrderStatus, Source};
/// # fn customer(id: &str, created_at: DateTime<Utc>) -> Customer {
/// #     Customer { id: id.into(), created_at, source: Source::Pos, name: None, phone: None,
/// #         email: None, gender: None, birth_date: None, zalo_id: None, facebook_id: None,
/// #         notes: None }
/// # }
/// # fn order(id: &str, customer: &str, created_at: DateTime<Utc>, total: i64) -> Order {
/// #     Order { id: id.into(), customer_id: customer.into(), created_at,
/// #         status: OrderStatus::Completed, total: total.into(), cost_of_goods: None,
/// #         source: None, fanpage_id: None, staff_id: None, voucher_code: None }
/// # }
/// use crm_metrics::{DatasetBuilder, ReportOptions, rfm};
/// use rust_decimal::Decimal;
///
/// let at = |d, h| Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap();
/// let mut shop = DatasetBuilder::new();
/// shop.push_customer(&customer("C1", at(1, 1)));
/// shop.push_order(&order("O1", "C1", at(1, 2), 100));
/// shop.push_order(&order("O2", "C1", at(5, 2), 30)); // Nov 5, twice: one purchase day
/// shop.push_order(&order("O3", "C1", at(5, 9), 20));
/// let rows = rfm::summary(&shop.build()?, &ReportOptions::new(at(15, 3)))?;
/// // Purchase days Nov 1 and Nov 5 (+07:00); today is Nov 15.
/// assert_eq!((rows[0].frequency, rows[0].recency, rows[0].t), (1, 4, 14));
/// assert_eq!(rows[0].monetary_value, Decimal::from(50)); // 30 + 20, over 1 day
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn summary(dataset: &Dataset, options: &ReportOptions) -> Result<Vec<RfmRow>> {
    fold_all::<SummaryPartial>(dataset, options)
}

/// Writes rows as CSV: the header `customer_id,frequency,recency,t,monetary_value,r,f,m,segment`,
/// then one line per row in the given order, `\n` line ends, decimals in plain notation
/// without trailing zeros, and a field quoted (RFC 4180, `"` doubled) only when it holds
/// a comma, a quote or a line break. No rows: the header alone.
///
/// # Errors
/// [`Error::Write`] when writing fails (named `path` in the error).
///
/// # Example
/// ```
/// use crm_metrics::rfm::{RfmRow, Segment, write_csv};
/// use rust_decimal::Decimal;
///
/// let row = RfmRow {
///     customer_id: "A,1".into(), frequency: 2, recency: 10, t: 30,
///     monetary_value: Decimal::new(1250, 2), r: 5, f: 4, m: 3, segment: Segment::Champions,
/// };
/// let mut out = Vec::new();
/// write_csv(&[row], &mut out, "rfm.csv")?;
/// assert_eq!(
///     String::from_utf8(out).unwrap(),
///     "customer_id,frequency,recency,t,monetary_value,r,f,m,segment\n\"A,1\",2,10,30,12.5,5,4,3,champions\n"
/// );
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn write_csv(
    rows: &[RfmRow],
    out: impl Write,
    path: impl Into<std::path::PathBuf>,
) -> Result<()> {
    let mut out = std::io::BufWriter::new(out);
    let path = path.into();
    let io = |source| Error::Write {
        path: path.clone(),
        source,
    };
    let mut text = String::from("customer_id,frequency,recency,t,monetary_value,r,f,m,segment\n");
    for row in rows {
        use std::fmt::Write as _;
        let id = &row.customer_id;
        if id.contains([',', '"', '\n', '\r']) {
            text.push('"');
            text.push_str(&id.replace('"', "\"\""));
            text.push('"');
        } else {
            text.push_str(id);
        }
        let _ = writeln!(
            text,
            ",{},{},{},{},{},{},{},{}",
            row.frequency,
            row.recency,
            row.t,
            row.monetary_value.normalize(),
            row.r,
            row.f,
            row.m,
            row.segment
        );
        if text.len() > 1 << 16 {
            out.write_all(text.as_bytes()).map_err(io)?;
            text.clear();
        }
    }
    out.write_all(text.as_bytes()).map_err(io)?;
    out.flush().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OrderStatus::Completed;
    use crate::purchase_days::testing::{options, shop, small_shop};

    fn d(n: i64) -> Decimal {
        Decimal::from(n)
    }

    /// A cell: its key, purchasers, and exact spend (value and scale) or `None`.
    type CellSeen = ((u64, u64), u64, Option<(Decimal, u32)>);

    /// Every cell of a state, with its exact spend (value and scale) or overflow.
    fn cell_list(p: &Partial) -> Vec<CellSeen> {
        p.cells()
            .map(|(k, c)| {
                let spend = c.spend.finish("t").ok().map(|v| (v, v.scale()));
                (k, c.customers, spend)
            })
            .collect()
    }

    #[test]
    fn compact_cells_leave_the_state_as_adding_each_purchaser() {
        use std::str::FromStr;
        let big = i64::MAX / 3;
        let amounts = [
            Decimal::from(125_000),
            Decimal::from_str("99.50").unwrap(),
            Decimal::from_str("0.001").unwrap(),
            Decimal::from(big),
            Decimal::from(-big),
            Decimal::new(big, 2),
            Decimal::from_str("79228162514264337593543950335").unwrap(),
            Decimal::from_str("-0.0000000000000000000000000001").unwrap(),
            Decimal::ZERO,
        ];
        // Cells in the dense range, past it in both directions, and one hit often.
        let keys = [
            (0, 1),
            (7, 3),
            (4095, 16),
            (4096, 2),
            (3, 17),
            (7, 3),
            (7, 3),
        ];
        let mut pending = Vec::new();
        for (i, amount) in amounts.iter().cycle().take(400).enumerate() {
            let (since_last, days) = keys[i % keys.len()];
            let mut spend = DecimalSum::new();
            spend.add(*amount);
            if i % 97 == 0 {
                spend.add(Decimal::MAX); // an overflowed spend
                spend.add(Decimal::MAX);
            }
            pending.push(PendingCell {
                since_last,
                days,
                spend,
            });
        }
        let mut direct = Partial::new(&options()).unwrap();
        direct.add_cells(&pending);
        let mut compact = Partial::new(&options()).unwrap();
        let mut cells = CompactCells::default();
        for batch in pending.chunks(64) {
            cells.add(&mut compact, batch);
        }
        cells.drain_into(&mut compact);
        assert_eq!(cell_list(&compact), cell_list(&direct));
        // Drained: a second drain adds nothing.
        cells.drain_into(&mut compact);
        assert_eq!(cell_list(&compact), cell_list(&direct));
    }

    #[test]
    fn summary_rows_by_hand() {
        // Today Nov 15. d = days since the last purchase.
        // A: Nov 3 (100): f 0, recency 0, t 12, d 12.
        // B: Oct 10 (50), Nov 5 (30 + 20, one day): f 1, recency 26, t 36, d 10, mv 50.
        // C: Aug 1 (10), Nov 7 (40): f 1, recency 98, t 106, d 8, mv 40.
        // D: Oct 20 (70): t 26, d 26. E: Sep 1 (10): t 75, d 75. F: after as_of.
        // r (w = purchasers with a larger d, n = 5): C 4 -> 5, B 3 -> 4, A 2 -> 3,
        //   D 1 -> 2, E 0 -> 1.
        // f (purchase days 1, 1, 1, 2, 2): 1 day w 0 -> 1; 2 days w 3 -> 1 + 15/5 = 4 (tie).
        // m (spend 10, 50, 70, 100, 100): E 1, C 2, D 3, A and B w 3 -> 4 (tie).
        let rows = summary(&small_shop(), &options()).unwrap();
        let got: Vec<_> = rows
            .iter()
            .map(|r| {
                (
                    r.customer_id.as_str(),
                    r.frequency,
                    r.recency,
                    r.t,
                    r.monetary_value,
                    (r.r, r.f, r.m),
                    r.segment,
                )
            })
            .collect();
        use Segment::*;
        assert_eq!(
            got,
            [
                ("A", 0, 0, 12, d(0), (3, 1, 4), NeedsAttention),
                ("B", 1, 26, 36, d(50), (4, 4, 4), Champions),
                ("C", 1, 98, 106, d(40), (5, 4, 2), Champions),
                ("D", 0, 0, 26, d(0), (2, 1, 3), Hibernating),
                ("E", 0, 0, 75, d(0), (1, 1, 1), Hibernating),
            ]
        );
    }

    #[test]
    fn section_by_hand() {
        let s = section(&small_shop(), &options()).unwrap();
        assert_eq!(s.customers, 5); // F is created after as_of, G never bought
        assert_eq!(s.summary.mean_frequency, Some(Decimal::new(4, 1))); // 2 / 5
        assert_eq!(s.summary.mean_recency, Some(Decimal::new(248, 1))); // 124 / 5
        assert_eq!(s.summary.mean_t, Some(d(51))); // (12 + 36 + 106 + 26 + 75) / 5
        assert_eq!(s.summary.mean_monetary_value, Some(d(45))); // (50 + 40) / 2
        let seg: Vec<_> = s
            .segments
            .iter()
            .map(|r| (r.segment, r.customers, r.revenue))
            .collect();
        use Segment::*;
        assert_eq!(
            seg,
            [
                (Champions, 2, d(150)), // B 100 + C 50
                (Loyal, 0, d(0)),
                (New, 0, d(0)),
                (Promising, 0, d(0)),
                (AtRisk, 0, d(0)),
                (Hibernating, 2, d(80)), // D 70 + E 10
                (NeedsAttention, 1, d(100)),
            ]
        );
        assert_eq!(s.segments[0].customer_share, Some(Decimal::new(4, 1))); // 2 / 5
        // 150 / 330
        assert_eq!(s.segments[0].revenue_share, Some(d(150) / d(330)));
        assert_eq!(s.segments[1].revenue_share, Some(Decimal::ZERO));
        // r = 5 first; f = 1 first.
        assert_eq!(
            s.grid,
            [
                [0, 0, 0, 1, 0], // C
                [0, 0, 0, 1, 0], // B
                [1, 0, 0, 0, 0], // A
                [1, 0, 0, 0, 0], // D
                [1, 0, 0, 0, 0], // E
            ]
        );
    }

    #[test]
    fn no_purchaser() {
        let dataset = shop(&[("A", "2026-11-01", &[])]);
        let s = section(&dataset, &options()).unwrap();
        assert_eq!(s.customers, 0);
        assert_eq!(s.summary.mean_t, None);
        assert_eq!(s.summary.mean_monetary_value, None);
        assert!(s.segments.iter().all(|r| r.customer_share.is_none()));
        assert!(summary(&dataset, &options()).unwrap().is_empty());
        let mut out = Vec::new();
        write_csv(&[], &mut out, "rfm.csv").unwrap();
        assert_eq!(
            out,
            b"customer_id,frequency,recency,t,monetary_value,r,f,m,segment\n"
        );
    }

    #[test]
    fn ties_in_recency_share_a_score() {
        // X and Y last bought on Nov 10, Z on Nov 1: d = 5, 5, 14. w(5) = 1 (Z) -> r 2;
        // w(14) = 0 -> r 1. Spend 10, 10, 20: m of X and Y 1 + 0 = 1, of Z 1 + 10/3 = 4.
        let dataset = shop(&[
            ("X", "2026-11-01", &[("2026-11-10", Completed, 10)]),
            (
                "Y",
                "2026-11-01",
                &[("2026-11-10T23:00:00+07:00", Completed, 10)],
            ),
            ("Z", "2026-11-01", &[("2026-11-01", Completed, 20)]),
        ]);
        let rows = summary(&dataset, &options()).unwrap();
        let scores: Vec<_> = rows.iter().map(|r| (r.r, r.f, r.m)).collect();
        // f: everyone has 1 purchase day, w = 0 -> 1.
        assert_eq!(scores, [(2, 1, 1), (2, 1, 1), (1, 1, 4)]);
    }

    #[test]
    fn every_segment() {
        use Segment::*;
        let cases = [
            ((4, 4, 1), Champions),
            ((5, 5, 0), Champions),
            ((1, 4, 9), Loyal),
            ((3, 5, 9), Loyal),
            ((4, 3, 0), New),
            ((5, 1, 0), New),
            ((4, 3, 2), Promising),
            ((5, 1, 1), Promising),
            ((2, 3, 2), AtRisk),
            ((1, 3, 5), AtRisk),
            ((2, 2, 1), Hibernating),
            ((1, 1, 0), Hibernating),
            ((3, 3, 1), NeedsAttention),
            ((3, 1, 0), NeedsAttention),
        ];
        for ((r, f, frequency), expected) in cases {
            assert_eq!(
                segment(r, f, frequency),
                expected,
                "r {r} f {f} {frequency}"
            );
        }
        for seg in Segment::ALL {
            assert_eq!(seg.name().parse::<Segment>().unwrap(), seg);
        }
    }

    #[test]
    fn score_formula() {
        // n = 5: w 0..4 -> 1..5; n = 2: w 0, 1 -> 1, 1 + floor(5/2) = 3.
        assert_eq!(
            (0..5).map(|w| score(w, 5)).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5]
        );
        assert_eq!((score(0, 2), score(1, 2)), (1, 3));
        assert_eq!(score(0, 1), 1);
        assert_eq!(score(7, 3), 5); // clamped
    }

    #[test]
    fn csv_quotes_only_where_needed() {
        let row = |id: &str, mv: Decimal| RfmRow {
            customer_id: id.into(),
            frequency: 1,
            recency: 2,
            t: 3,
            monetary_value: mv,
            r: 1,
            f: 2,
            m: 3,
            segment: Segment::AtRisk,
        };
        let mut out = Vec::new();
        let rows = [
            row("plain", Decimal::new(1500, 2)),
            row("say \"hi\"", Decimal::ONE / Decimal::from(3)),
            row("two\nlines", Decimal::ZERO),
        ];
        write_csv(&rows, &mut out, "x.csv").unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "customer_id,frequency,recency,t,monetary_value,r,f,m,segment\n\
             plain,1,2,3,15,1,2,3,at_risk\n\
             \"say \"\"hi\"\"\",1,2,3,0.3333333333333333333333333333,1,2,3,at_risk\n\
             \"two\nlines\",1,2,3,0,1,2,3,at_risk\n"
        );
    }

    #[cfg(feature = "serde")]
    #[test]
    fn dense_cells_serialize_as_rows_of_dense_days() {
        // Layout of version 1: cells[since_last * 16 + days - 1]. In the small shop,
        // C has (since_last 8, 2 days) and E (75, 1 day): rows 0..=75.
        let dataset = small_shop();
        let mut p = Partial::new(&options()).unwrap();
        for c in dataset.customer_indices() {
            p.add_customer(&dataset, c);
        }
        let json = serde_json::to_value(&p).unwrap();
        let cells = json["dense"].as_array().unwrap();
        assert_eq!(cells.len() % DENSE_DAYS as usize, 0);
        assert_eq!(cells[8 * 16 + 1]["customers"], 1);
        assert_eq!(cells[75 * 16]["customers"], 1);
        let back: Partial = serde_json::from_value(json).unwrap();
        assert_eq!(back.finish().unwrap(), p.finish().unwrap());
    }

    #[test]
    fn mean_of_a_sum_wider_than_a_decimal() {
        // 0.3333333333333333333333333333 + 1000000.3333333333333333333333
        //   = 1000000.6666666666666666666666333333 (35 digits: no decimal holds it);
        // / 2 = 500000.33333333333333333333331666665; 96 bits hold 29 digits here
        // (5.0e28 < 2^96 = 7.9e28), so scale 23: ...333332 (1666665 rounds up).
        let mut sum = MeanSum::default();
        sum.add(Decimal::ONE / d(3));
        sum.add("1000000.3333333333333333333333".parse().unwrap());
        assert_eq!(
            sum.mean("m").unwrap(),
            Some("500000.33333333333333333333332".parse().unwrap())
        );
    }

    #[test]
    fn wide_mean_equals_decimal_division_when_the_sum_fits() {
        // A fixed pseudo-random walk over values of many scales.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..2_000 {
            let mut values = Vec::new();
            for _ in 0..(x % 7 + 1) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let scale = (x % 29) as u32;
                let mantissa = i128::from(x >> (x % 40)) * if x.is_multiple_of(5) { -1 } else { 1 };
                values.push(Decimal::from_i128_with_scale(mantissa, scale));
            }
            let mut sum = MeanSum::default();
            values.iter().for_each(|v| sum.add(*v));
            let n = Decimal::from(values.len() as u64);
            if let Ok(total) = crate::money::checked_sum("t", values.iter().copied()) {
                let wide = wide::mean(&sum.by_scale, sum.count);
                assert_eq!(wide, total.checked_div(n), "{values:?}");
            }
        }
    }
}
