//! The `customer_picture` section (docs/metrics.md#customer_picture) (S3, iPOS CRM): who the
//! customers are (gender, age, reachability) and how they buy (spend, visits, spend levels,
//! vouchers, return cycles).
//!
//! [`section`] builds the whole section in one fold over the customers that exist at
//! `as_of`, reading each customer's orders once
//! ([`PurchaseSummary`](crate::customers::PurchaseSummary)); [`section_with`] takes other
//! spend-level edges or voucher threshold ([`PictureOptions`]). Each metric
//! also has its own function ([`visit_groups`], [`return_cycle`], [`customer_cycle`],
//! [`spend_levels`] with any edges, [`voucher_customers`] with any threshold, …).
//! [`Partial`] is the section's [`Fold`]: partial states over shards of
//! customers merge exactly.
//!
//! No period applies, except to [`spend_frequency`]. Existence and purchases follow
//! the conventions (docs/metrics.md#purchases-and-placed-orders,
//! docs/metrics.md#which-rows-count), as described in [`crate::customers`], whose examples
//! are built the same way.

use std::ops::Range;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::calendar::{Preset, Ts, sub_months};
use crate::dataset::{Contacts, CustomerIdx, Dataset};
use crate::error::{Error, Result};
use crate::fold::tally::{Facts, ScaledSum, SpendTally, Tally, TallyFold, run};
use crate::fold::{Fold, Section, fold_customers};
use crate::label::label_enum;
use crate::model::Gender;
use crate::options::ReportOptions;

pub use crate::fold::CycleBucket;
use crate::money::{Comparison, POW10_128 as POW10, count_ratio, ratio};
use crate::options::Context;

label_enum! {
    /// An age group (docs/metrics.md#customer_picture `age_groups`): age in whole years on `today`.
    AgeGroup, "age group" {
        /// 0 to 17.
        Under18 = "under_18",
        /// 18 to 24.
        From18To24 = "18_24",
        /// 25 to 34.
        From25To34 = "25_34",
        /// 35 to 44.
        From35To44 = "35_44",
        /// 45 to 54.
        From45To54 = "45_54",
        /// 55 and older.
        From55 = "55_plus",
        /// No birth date, or one after `today`.
        Unknown = "unknown",
    }
}

/// The lower bound (in years) of each age group but `unknown`, after `under_18`.
const AGE_EDGES: [u32; 5] = [18, 25, 35, 45, 55];

impl AgeGroup {
    /// The group of an age in whole years.
    ///
    /// # Example
    /// ```
    /// use crm_metrics::customer_picture::AgeGroup;
    ///
    /// assert_eq!(AgeGroup::of_age(17), AgeGroup::Under18);
    /// assert_eq!(AgeGroup::of_age(18), AgeGroup::From18To24);
    /// assert_eq!(AgeGroup::of_age(55), AgeGroup::From55);
    /// ```
    pub const fn of_age(years: u32) -> AgeGroup {
        match years {
            0..18 => AgeGroup::Under18,
            18..25 => AgeGroup::From18To24,
            25..35 => AgeGroup::From25To34,
            35..45 => AgeGroup::From35To44,
            45..55 => AgeGroup::From45To54,
            _ => AgeGroup::From55,
        }
    }

    /// The group of a customer born on `birth`, on `today` (docs/metrics.md#customer_picture
    /// `age_groups`): `unknown` without a birth date or with one after `today`, else the group of
    /// [`age_on`]`(birth, today)`.
    ///
    /// # Example
    /// ```
    /// use chrono::NaiveDate;
    /// use crm_metrics::customer_picture::AgeGroup;
    ///
    /// let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    /// let today = d(2026, 11, 15);
    /// assert_eq!(AgeGroup::of(Some(d(2001, 11, 15)), today), AgeGroup::From25To34); // 25 today
    /// assert_eq!(AgeGroup::of(Some(d(2001, 11, 16)), today), AgeGroup::From18To24); // 24
    /// assert_eq!(AgeGroup::of(Some(d(2026, 11, 16)), today), AgeGroup::Unknown); // not born yet
    /// assert_eq!(AgeGroup::of(None, today), AgeGroup::Unknown);
    /// ```
    pub fn of(birth: Option<NaiveDate>, today: NaiveDate) -> AgeGroup {
        match birth.and_then(|birth| age_on(birth, today)) {
            Some(years) => AgeGroup::of_age(years),
            None => AgeGroup::Unknown,
        }
    }
}

/// Age in whole years on `today` of someone born on `birth` (docs/metrics.md#customer_picture
/// `age_groups`): `today.year - birth.year`, minus one if the birthday of this year is still to
/// come.
///
/// # Edge cases
/// * A Feb 29 birthday counts on Mar 1 in a non-leap year (docs/metrics.md#customer_picture): born
///   2008-02-29, one is 17 on 2026-02-28 and 18 on 2026-03-01.
/// * Born today: `Some(0)`.
/// * Born after `today`: `None` (the group is `unknown`).
///
/// # Example
/// ```
/// use chrono::NaiveDate;
/// use crm_metrics::customer_picture::age_on;
///
/// let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
/// assert_eq!(age_on(d(2008, 2, 29), d(2026, 2, 28)), Some(17));
/// assert_eq!(age_on(d(2008, 2, 29), d(2026, 3, 1)), Some(18));
/// assert_eq!(age_on(d(2008, 2, 29), d(2028, 2, 29)), Some(20)); // leap year: on the day
/// assert_eq!(age_on(d(2026, 11, 16), d(2026, 11, 15)), None);
/// ```
pub fn age_on(birth: NaiveDate, today: NaiveDate) -> Option<u32> {
    use chrono::Datelike;
    if birth > today {
        return None;
    }
    // In a non-leap year (2, 29) is after (2, 28) and before (3, 1): the Feb 29 birthday
    // is reached on Mar 1, as docs/metrics.md#customer_picture says.
    let before_birthday = (today.month(), today.day()) < (birth.month(), birth.day());
    let years = today.year() - birth.year() - i32::from(before_birthday);
    u32::try_from(years).ok()
}

label_enum! {
    /// A row of `visit_groups` (docs/metrics.md#customer_picture): customers by their number of
    /// purchases.
    Visits, "visit group" {
        /// One purchase.
        One = "1",
        /// Two purchases.
        Two = "2",
        /// Three or more.
        ThreeOrMore = "3+",
    }
}

impl Visits {
    /// The row of a customer with `purchases` purchases (docs/metrics.md#customer_picture
    /// `visit_groups`): `"1"`, `"2"`, or `"3+"` for 3 and more.
    ///
    /// # Edge cases
    /// * 0 purchases: `None`, the customer is in no row.
    ///
    /// # Example
    /// ```
    /// use crm_metrics::customer_picture::Visits;
    ///
    /// assert_eq!(Visits::of(2), Some(Visits::Two));
    /// assert_eq!(Visits::of(40).map(Visits::label), Some("3+"));
    /// assert_eq!(Visits::of(0), None);
    /// ```
    pub const fn of(purchases: u64) -> Option<Visits> {
        match purchases {
            0 => None,
            1 => Some(Visits::One),
            2 => Some(Visits::Two),
            _ => Some(Visits::ThreeOrMore),
        }
    }
}

label_enum! {
    /// A row of `spend_frequency` (docs/metrics.md#customer_picture): customers by their purchases
    /// in the period.
    PeriodPurchases, "purchase count" {
        /// One purchase.
        One = "1",
        /// Two.
        Two = "2",
        /// Three.
        Three = "3",
        /// Four.
        Four = "4",
        /// Five or more.
        FiveOrMore = "5+",
    }
}

impl PeriodPurchases {
    /// The row of a customer with `purchases` purchases in the period
    /// (docs/metrics.md#customer_picture `spend_frequency`): `"1"` to `"4"`, or `"5+"` for 5 and
    /// more.
    ///
    /// # Edge cases
    /// * 0 purchases in the period: `None`, the customer is in no row.
    ///
    /// # Example
    /// ```
    /// use crm_metrics::customer_picture::PeriodPurchases;
    ///
    /// assert_eq!(PeriodPurchases::of(4), Some(PeriodPurchases::Four));
    /// assert_eq!(PeriodPurchases::of(5).map(PeriodPurchases::label), Some("5+"));
    /// assert_eq!(PeriodPurchases::of(0), None);
    /// ```
    pub const fn of(purchases: u64) -> Option<PeriodPurchases> {
        match purchases {
            0 => None,
            1 => Some(PeriodPurchases::One),
            2 => Some(PeriodPurchases::Two),
            3 => Some(PeriodPurchases::Three),
            4 => Some(PeriodPurchases::Four),
            _ => Some(PeriodPurchases::FiveOrMore),
        }
    }
}

// ---------------------------------------------------------------------------------------
// The section
// ---------------------------------------------------------------------------------------

/// `customer_picture` (docs/metrics.md#customer_picture). Keys serialize in the documented order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerPictureSection {
    /// Customers with `created_at <= as_of`.
    pub total_customers: u64,
    /// Customers created today (up to `as_of`) against yesterday. See
    /// [`new_customers_by_unit`].
    pub new_today: Comparison<u64>,
    /// Created this week (Monday first) against last week.
    pub new_this_week: Comparison<u64>,
    /// Created this month against last month.
    pub new_this_month: Comparison<u64>,
    /// Sum of purchase totals. See [`spend_totals`].
    pub total_spend: Decimal,
    /// Number of purchases.
    pub invoices: u64,
    /// `total_spend / invoices`; `None` without purchases.
    pub avg_invoice: Option<Decimal>,
    /// Customers with at least 3 purchases carrying a voucher. See
    /// [`voucher_customers`].
    pub voucher_customers: u64,
    /// Buyers by number of purchases: `"1"`, `"2"`, `"3+"`. See [`visit_groups`].
    pub visit_groups: [VisitGroupRow; 3],
    /// All customers by gender. See [`gender`].
    pub gender: GenderCounts,
    /// All customers by age group. See [`age_groups`].
    pub age_groups: AgeGroups,
    /// All customers by total spend. See [`spend_levels`].
    pub spend_levels: Vec<SpendLevel>,
    /// Customers reachable by SMS, Zalo, Facebook. See [`connections`].
    pub connections: Connections,
    /// Gaps between consecutive purchases by bucket. See [`return_cycle`].
    pub return_cycle: [ReturnCycleRow; CycleBucket::COUNT],
    /// Customers with 2+ purchases by the bucket of their median gap. See
    /// [`customer_cycle`].
    pub customer_cycle: [CustomerCycleRow; CycleBucket::COUNT],
    /// Buyers of the period by number of purchases in it. See [`spend_frequency`].
    pub spend_frequency: [SpendFrequencyRow; PeriodPurchases::COUNT],
}

/// New customers in calendar units (docs/metrics.md#customer_picture `new_today`,
/// `new_this_week`, `new_this_month`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCustomersByUnit {
    /// Today (up to `as_of`) against yesterday.
    pub today: Comparison<u64>,
    /// This week (Monday to Sunday) against the week before.
    pub this_week: Comparison<u64>,
    /// This month against the whole previous month.
    pub this_month: Comparison<u64>,
}

/// `total_spend` (docs/metrics.md#customer_picture), `invoices`, `avg_invoice`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendTotals {
    /// Sum of purchase totals.
    pub total_spend: Decimal,
    /// Number of purchases.
    pub invoices: u64,
    /// `total_spend / invoices`; `None` without purchases.
    pub avg_invoice: Option<Decimal>,
}

/// One row of `visit_groups` (docs/metrics.md#customer_picture).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitGroupRow {
    /// `"1"`, `"2"` or `"3+"` purchases.
    pub visits: Visits,
    /// Customers with that many purchases.
    pub customers: u64,
    /// `customers / customers with a purchase`; `None` when nobody bought.
    pub customer_share: Option<Decimal>,
    /// Their total spend.
    pub revenue: Decimal,
    /// `revenue / total_spend`; `None` when `total_spend` is 0.
    pub revenue_share: Option<Decimal>,
}

/// `gender` (docs/metrics.md#customer_picture), over all customers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenderCounts {
    /// Male.
    pub male: u64,
    /// Female.
    pub female: u64,
    /// Other.
    pub other: u64,
    /// No gender given.
    pub unknown: u64,
}

/// `age_groups` (docs/metrics.md#customer_picture), over all customers; keys are the [`AgeGroup`]
/// labels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgeGroups {
    /// `under_18`.
    pub under_18: u64,
    /// `18_24`.
    #[serde(rename = "18_24")]
    pub age_18_24: u64,
    /// `25_34`.
    #[serde(rename = "25_34")]
    pub age_25_34: u64,
    /// `35_44`.
    #[serde(rename = "35_44")]
    pub age_35_44: u64,
    /// `45_54`.
    #[serde(rename = "45_54")]
    pub age_45_54: u64,
    /// `55_plus`.
    #[serde(rename = "55_plus")]
    pub age_55_plus: u64,
    /// No birth date, or one after `today`.
    pub unknown: u64,
}

impl AgeGroups {
    /// The count of one group.
    pub fn get(&self, group: AgeGroup) -> u64 {
        match group {
            AgeGroup::Under18 => self.under_18,
            AgeGroup::From18To24 => self.age_18_24,
            AgeGroup::From25To34 => self.age_25_34,
            AgeGroup::From35To44 => self.age_35_44,
            AgeGroup::From45To54 => self.age_45_54,
            AgeGroup::From55 => self.age_55_plus,
            AgeGroup::Unknown => self.unknown,
        }
    }

    fn from_counts(counts: [u64; AgeGroup::COUNT]) -> AgeGroups {
        let [
            under_18,
            age_18_24,
            age_25_34,
            age_35_44,
            age_45_54,
            age_55_plus,
            unknown,
        ] = counts;
        AgeGroups {
            under_18,
            age_18_24,
            age_25_34,
            age_35_44,
            age_45_54,
            age_55_plus,
            unknown,
        }
    }
}

/// One row of `spend_levels` (docs/metrics.md#customer_picture): customers whose total purchase
/// spend is in `[min, max)`; the first row (`label` `"none"`, `min` and `max` null) holds the
/// customers without a purchase, the last row has no `max`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendLevel {
    /// Inclusive lower edge; `None` for the `"none"` row.
    pub min: Option<Decimal>,
    /// Exclusive upper edge; `None` for the last row and the `"none"` row.
    pub max: Option<Decimal>,
    /// `"none"`, `"<min>-<max>"` or `"<min>+"` (e.g. `"0-500000"`, `"10000000+"`).
    pub label: String,
    /// Customers in the row.
    pub customers: u64,
}

/// `connections` (docs/metrics.md#customer_picture).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connections {
    /// Customers with a phone.
    pub sms: Connection,
    /// Customers with a `zalo_id`.
    pub zalo: Connection,
    /// Customers with a `facebook_id`.
    pub facebook: Connection,
}

/// Customers reachable on one channel, and their share of all customers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    /// Customers with the contact.
    pub customers: u64,
    /// `customers / total_customers`; `None` without customers.
    pub rate: Option<Decimal>,
}

/// One row of `return_cycle` (docs/metrics.md#customer_picture).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnCycleRow {
    /// The bucket.
    pub bucket: CycleBucket,
    /// Gaps between consecutive purchases in that bucket.
    pub gaps: u64,
}

/// One row of `customer_cycle` (docs/metrics.md#customer_picture).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerCycleRow {
    /// The bucket.
    pub bucket: CycleBucket,
    /// Customers whose median gap is in that bucket.
    pub customers: u64,
}

/// One row of `spend_frequency` (docs/metrics.md#customer_picture).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendFrequencyRow {
    /// `"1"` to `"4"` or `"5+"` purchases in the period.
    pub purchases: PeriodPurchases,
    /// Customers with that many purchases in the period.
    pub customers: u64,
}

/// The parameters of the customer picture that a caller may choose: the spend-level edges and the
/// voucher threshold. [`Default`] is what the report uses.
///
/// # Example
/// ```
/// use crm_metrics::customer_picture::PictureOptions;
/// use rust_decimal::Decimal;
///
/// let options = PictureOptions::default()
///     .spend_edges([0, 1_000_000].map(Decimal::from))
///     .voucher_threshold(5);
/// assert_eq!(options.edges().len(), 2);
/// assert_eq!(PictureOptions::default().threshold(), 3);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PictureOptions {
    spend_edges: Vec<Decimal>,
    voucher_threshold: u32,
}

/// The spend-level edges of the report (VND): 0, 500000, 2000000, 5000000, 10000000.
pub const DEFAULT_SPEND_EDGES: [Decimal; 5] = [
    Decimal::from_parts(0, 0, 0, false, 0),
    Decimal::from_parts(500_000, 0, 0, false, 0),
    Decimal::from_parts(2_000_000, 0, 0, false, 0),
    Decimal::from_parts(5_000_000, 0, 0, false, 0),
    Decimal::from_parts(10_000_000, 0, 0, false, 0),
];

/// The voucher threshold of the report: "more than 2" purchases with a voucher (S3).
pub const DEFAULT_VOUCHER_THRESHOLD: u32 = 3;

impl Default for PictureOptions {
    fn default() -> PictureOptions {
        PictureOptions {
            spend_edges: DEFAULT_SPEND_EDGES.to_vec(),
            voucher_threshold: DEFAULT_VOUCHER_THRESHOLD,
        }
    }
}

impl PictureOptions {
    /// Sets the spend-level edges (see [`spend_levels`] for what is valid).
    pub fn spend_edges(mut self, edges: impl IntoIterator<Item = Decimal>) -> PictureOptions {
        self.spend_edges = edges.into_iter().collect();
        self
    }

    /// Sets the voucher threshold (see [`voucher_customers`]).
    pub fn voucher_threshold(mut self, threshold: u32) -> PictureOptions {
        self.voucher_threshold = threshold;
        self
    }

    /// The spend-level edges.
    pub fn edges(&self) -> &[Decimal] {
        &self.spend_edges
    }

    /// The voucher threshold.
    pub fn threshold(&self) -> u32 {
        self.voucher_threshold
    }
}

/// Computes `customer_picture` (docs/metrics.md#customer_picture) with the report's parameters
/// ([`PictureOptions::default`]), in one fold over the customers that exist at `as_of`.
///
/// # Errors
/// [`Error::Overflow`] naming the metric (`customer_picture.total_spend`, …) when a sum
/// of spend does not fit in a decimal.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, customer_picture, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(300).seed(3).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let picture = customer_picture::section(&dataset, &context)?;
/// let in_levels: u64 = picture.spend_levels.iter().map(|row| row.customers).sum();
/// assert_eq!(in_levels, picture.total_customers);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn section(dataset: &Dataset, context: &Context) -> Result<CustomerPictureSection> {
    section_with(dataset, context, &PictureOptions::default())
}

/// [`section`] with other spend-level edges or voucher threshold.
///
/// # Errors
/// * [`Error::InvalidSpendLevels`] for invalid spend-level edges (see [`spend_levels`]).
/// * [`Error::Overflow`] as for [`section`].
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::customer_picture::{PictureOptions, section_with};
/// use crm_metrics::{ReportOptions, sample::SampleOptions};
/// use rust_decimal::Decimal;
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(300).seed(3).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let options = PictureOptions::default().spend_edges([Decimal::ZERO, Decimal::from(1_000_000)]);
/// let picture = section_with(&dataset, &context, &options)?;
/// let labels: Vec<&str> = picture.spend_levels.iter().map(|row| row.label.as_str()).collect();
/// assert_eq!(labels, ["none", "0-1000000", "1000000+"]);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn section_with(
    dataset: &Dataset,
    context: &Context,
    options: &PictureOptions,
) -> Result<CustomerPictureSection> {
    let empty = Partial::with_context(context, options)?;
    let existing = dataset.existing(context.as_of_ts);
    fold_customers(dataset, 0..existing, || empty.clone())?.finish()
}

/// The partial state of the `customer_picture` section over a shard of customers: a
/// [`Fold`] whose [`merge`](Fold::merge) is exact (medians are settled per customer,
/// everything else is counts and exact sums), so any split of the customers into shards
/// merges into exactly [`section_with`]'s result.
///
/// Owned and keyed by the input's own values (genders, age groups, cycle buckets); with
/// the `serde` feature it serializes. [`Fold::new`] takes the default
/// [`PictureOptions`]; [`Partial::with_options`] others. States made with different
/// options do not merge. A customer created after `as_of`, or an index outside the
/// dataset, adds nothing.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::customer_picture::{Partial, section};
/// use crm_metrics::fold::{Fold, fold_shard};
/// use crm_metrics::{ReportOptions, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(200).seed(5).as_of(as_of).dataset()?;
/// let options = ReportOptions::new(as_of);
/// let all: Vec<_> = dataset.customer_indices().collect();
/// let (low, high) = all.split_at(all.len() / 3);
/// let mut left = Partial::new(&options)?;
/// fold_shard(&mut left, &dataset, low.iter().copied());
/// let mut right = Partial::new(&options)?;
/// fold_shard(&mut right, &dataset, high.iter().copied());
/// right.merge(left)?;
/// assert_eq!(right.finish()?, section(&dataset, &options.resolve()?)?);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Partial {
    options: PictureOptions,
    fold: TallyFold<PictureTally>,
}

impl Partial {
    /// An empty partial state for the report resolved as `context`, with `options`.
    ///
    /// # Errors
    /// [`Error::InvalidSpendLevels`] for invalid spend-level edges (see [`spend_levels`]),
    /// or when today's week or month is at the edge of chrono's date range.
    pub fn with_context(context: &Context, options: &PictureOptions) -> Result<Partial> {
        Ok(Partial {
            options: options.clone(),
            fold: TallyFold::new(context, PictureTally::new(context, options)?),
        })
    }

    /// An empty partial state for `report` with other spend-level edges or voucher
    /// threshold.
    ///
    /// # Errors
    /// As [`with_context`](Partial::with_context), and when `report` does not resolve.
    pub fn with_options(report: &ReportOptions, options: &PictureOptions) -> Result<Partial> {
        Partial::with_context(&report.resolve()?, options)
    }

    /// The context the state was made in.
    pub fn context(&self) -> &Context {
        self.fold.context()
    }
}

impl Fold for Partial {
    type Output = CustomerPictureSection;

    fn new(options: &ReportOptions) -> Result<Partial> {
        Partial::with_options(options, &PictureOptions::default())
    }

    #[inline]
    fn add_customer(&mut self, dataset: &Dataset, customer: CustomerIdx) {
        self.fold.add_customer(dataset, customer);
    }

    fn merge(&mut self, other: Partial) -> Result<()> {
        if self.options != other.options {
            return Err(Error::InvalidArgument(
                "cannot merge customer_picture partial states made with different picture options"
                    .to_owned(),
            ));
        }
        self.fold.merge(other.fold, Partial::NAME)
    }

    fn finish(self) -> Result<CustomerPictureSection> {
        self.fold.finish()
    }
}

impl Section for Partial {
    const NAME: &'static str = "customer_picture";
}

/// Every metric of the section, fed by one purchase scan per customer.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct PictureTally {
    spend: SpendTally,
    units: UnitTally,
    voucher: VoucherTally,
    visits: VisitTally,
    gender: GenderTally,
    age: AgeTally,
    levels: LevelTally,
    connections: ConnectionTally,
    cycles: CycleTally,
    frequency: FrequencyTally,
}

impl PictureTally {
    pub(crate) fn new(context: &Context, options: &PictureOptions) -> Result<PictureTally> {
        Ok(PictureTally {
            spend: SpendTally::default(),
            units: UnitTally::new(context)?,
            voucher: VoucherTally::new(options.voucher_threshold),
            visits: VisitTally::default(),
            gender: GenderTally::default(),
            age: AgeTally::new(context.today),
            levels: LevelTally::new(&options.spend_edges)?,
            connections: ConnectionTally::default(),
            cycles: CycleTally::default(),
            frequency: FrequencyTally::default(),
        })
    }
}

impl Tally for PictureTally {
    const PURCHASES: bool = true;
    const GAPS: bool = true;
    type Output = CustomerPictureSection;

    #[inline]
    fn add(&mut self, dataset: &Dataset, context: &Context, facts: &Facts<'_>) {
        self.spend.add(dataset, context, facts);
        self.units.add(dataset, context, facts);
        self.voucher.add(dataset, context, facts);
        self.visits.add(dataset, context, facts);
        self.gender.add(dataset, context, facts);
        self.age.add(dataset, context, facts);
        self.levels.add(dataset, context, facts);
        self.connections.add(dataset, context, facts);
        self.cycles.add(dataset, context, facts);
        self.frequency.add(dataset, context, facts);
    }

    fn merge(&mut self, other: PictureTally) {
        self.spend.merge(other.spend);
        self.units.merge(other.units);
        self.voucher.merge(other.voucher);
        self.visits.merge(other.visits);
        self.gender.merge(other.gender);
        self.age.merge(other.age);
        self.levels.merge(other.levels);
        self.connections.merge(other.connections);
        self.cycles.merge(other.cycles);
        self.frequency.merge(other.frequency);
    }

    fn finish(self, context: &Context) -> Result<CustomerPictureSection> {
        let units = self.units.finish(context)?;
        let totals = spend_totals_of(&self.spend)?;
        let (return_cycle, customer_cycle) = self.cycles.finish(context)?;
        Ok(CustomerPictureSection {
            total_customers: self.spend.customers,
            new_today: units.today,
            new_this_week: units.this_week,
            new_this_month: units.this_month,
            total_spend: totals.total_spend,
            invoices: totals.invoices,
            avg_invoice: totals.avg_invoice,
            voucher_customers: self.voucher.finish(context)?,
            visit_groups: self.visits.finish(context)?,
            gender: self.gender.finish(context)?,
            age_groups: self.age.finish(context)?,
            spend_levels: self.levels.finish(context)?,
            connections: self.connections.finish(context)?,
            return_cycle,
            customer_cycle,
            spend_frequency: self.frequency.finish(context)?,
        })
    }
}

// ---------------------------------------------------------------------------------------
// One metric at a time
// ---------------------------------------------------------------------------------------

/// `new_today` (docs/metrics.md#customer_picture), `new_this_week`, `new_this_month`:
/// `count(customers with created_at in the calendar unit of today)` against the unit
/// before: today against yesterday, this week (Monday to Sunday) against last week, this
/// month against the whole last month. Independent of the report's period.
///
/// # Edge cases
/// * Only up to `as_of`: a customer created later today is not new yet.
/// * `delta` is `None` when the previous unit had none.
/// * A customer created exactly at local midnight belongs to the new day (docs/metrics.md#time).
///
/// # Errors
/// [`Error::DateOutOfRange`] only when today's week or month reaches beyond chrono's
/// date range.
///
/// # Example
/// ```
/// use chrono::{DateTime, Utc};
/// use rust_decimal::Decimal;
/// use crm_metrics::customer_picture::new_customers_by_unit;
/// use crm_metrics::model::{Customer, Source};
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let at = |text: &str| text.parse::<DateTime<Utc>>();
/// let mut shop = DatasetBuilder::new();
/// // today (a Sunday)
/// shop.push_customer(&Customer::new("KH1", at("2026-11-15T00:00:00+07:00")?, Source::Pos));
/// // yesterday
/// shop.push_customer(&Customer::new("KH2", at("2026-11-14T23:59:59+07:00")?, Source::Pos));
/// // last week
/// shop.push_customer(&Customer::new("KH3", at("2026-11-08T12:00:00+07:00")?, Source::Pos));
/// // after as_of
/// shop.push_customer(&Customer::new("KH4", at("2026-11-15T11:00:00+07:00")?, Source::Pos));
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")?).resolve()?;
/// let new = new_customers_by_unit(&dataset, &context)?;
/// assert_eq!((new.today.current, new.today.previous), (1, 1));
/// assert_eq!((new.this_week.current, new.this_week.previous), (2, 1)); // week of Nov 9
/// assert_eq!((new.this_month.current, new.this_month.previous), (3, 0));
/// assert_eq!(new.this_month.delta, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn new_customers_by_unit(dataset: &Dataset, context: &Context) -> Result<NewCustomersByUnit> {
    run(dataset, context, UnitTally::new(context)?)
}

/// `total_spend = sum(total of every purchase)` (docs/metrics.md#customer_picture),
/// `invoices = count(purchases)`, `avg_invoice = total_spend / invoices`. All time up to `as_of`.
///
/// # Edge cases
/// * No purchase: `total_spend = 0`, `invoices = 0`, `avg_invoice = None`.
/// * A single purchase: its total, 1, its total.
/// * Purchases after `as_of` and of customers created after `as_of` are ignored;
///   cancelled, failed and pending orders are not purchases.
///
/// # Errors
/// [`Error::Overflow`] naming `customer_picture.total_spend` or
/// `customer_picture.avg_invoice`.
///
/// # Example
/// ```
/// use chrono::{DateTime, Utc};
/// use rust_decimal::Decimal;
/// use crm_metrics::customer_picture::spend_totals;
/// use crm_metrics::model::{Customer, Order, OrderStatus, Source};
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let at = |text: &str| text.parse::<DateTime<Utc>>();
/// let mut shop = DatasetBuilder::new();
/// shop.push_customer(&Customer::new("KH1", at("2026-01-05T10:00:00+07:00")?, Source::Pos));
/// shop.push_order(&Order::new("DH1", "KH1", at("2026-02-01T10:00:00+07:00")?,
///     OrderStatus::Completed, Decimal::from(100_000)));
/// shop.push_order(&Order::new("DH2", "KH1", at("2026-03-01T10:00:00+07:00")?,
///     OrderStatus::Completed, Decimal::from(200_000)));
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")?).resolve()?;
/// let totals = spend_totals(&dataset, &context)?;
/// assert_eq!((totals.total_spend, totals.invoices), (Decimal::from(300_000), 2));
/// assert_eq!(totals.avg_invoice, Some(Decimal::from(150_000)));
///
/// let before = ReportOptions::new(at("2026-01-31T10:00:00+07:00")?).resolve()?;
/// assert_eq!(spend_totals(&dataset, &before)?.avg_invoice, None); // no purchase yet
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn spend_totals(dataset: &Dataset, context: &Context) -> Result<SpendTotals> {
    spend_totals_of(&run(dataset, context, SpendTally::default())?)
}

fn spend_totals_of(spend: &SpendTally) -> Result<SpendTotals> {
    let total_spend = spend.spend.finish("customer_picture.total_spend")?;
    Ok(SpendTotals {
        total_spend,
        invoices: spend.invoices,
        avg_invoice: ratio(
            "customer_picture.avg_invoice",
            total_spend,
            Decimal::from(spend.invoices),
        )?,
    })
}

/// `voucher_customers` (docs/metrics.md#customer_picture):
/// `count(customers with at least threshold purchases that carry a voucher code)`. The report uses
/// `threshold = 3` (S3: "more than 2"), [`DEFAULT_VOUCHER_THRESHOLD`].
///
/// # Edge cases
/// * Orders with a voucher that are not purchases (cancelled, after `as_of`) do not
///   count (docs/metrics.md#customer_picture).
/// * `threshold = 0` counts every customer, with or without a purchase.
///
/// # Example
/// ```
/// use chrono::{DateTime, Utc};
/// use crm_metrics::customer_picture::voucher_customers;
/// use crm_metrics::model::{Customer, Order, OrderStatus, Source};
/// use crm_metrics::{DatasetBuilder, ReportOptions};
/// use rust_decimal::Decimal;
///
/// let at = |text: &str| text.parse::<DateTime<Utc>>();
/// let mut shop = DatasetBuilder::new();
/// shop.push_customer(&Customer::new("KH1", at("2026-01-05T10:00:00+07:00")?, Source::Pos));
/// for (id, month) in [("DH1", "02"), ("DH2", "03"), ("DH3", "04")] {
///     let created = at(&format!("2026-{month}-01T10:00:00+07:00"))?;
///     let total = Decimal::from(100_000);
///     shop.push_order(
///         &Order::new(id, "KH1", created, OrderStatus::Completed, total).voucher_code("SALE"),
///     );
/// }
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")?).resolve()?;
/// assert_eq!(voucher_customers(&dataset, &context, 3), 1);
/// assert_eq!(voucher_customers(&dataset, &context, 4), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn voucher_customers(dataset: &Dataset, context: &Context, threshold: u32) -> u64 {
    // OK because VoucherTally::finish never fails.
    run(dataset, context, VoucherTally::new(threshold)).unwrap_or(0)
}

/// `visit_groups` (docs/metrics.md#customer_picture): customers with at least one purchase, by
/// their number of purchases (`"1"`, `"2"`, `"3+"`), each row `{visits, customers, customer_share,
/// revenue, revenue_share}` with `customer_share = customers / customers with a
/// purchase` and `revenue_share = revenue / total_spend`, `revenue` being the spend of
/// the row's customers.
///
/// # Edge cases
/// * Customers without a purchase are in no row.
/// * Nobody bought: every row is `0` with `None` shares.
/// * `total_spend = 0` (every purchase free): `revenue_share` is `None`.
///
/// # Errors
/// [`Error::Overflow`] naming `customer_picture.visit_groups` when a revenue does not fit.
///
/// # Example
/// ```
/// use chrono::{DateTime, Utc};
/// use rust_decimal::Decimal;
/// use crm_metrics::customer_picture::visit_groups;
/// use crm_metrics::model::{Customer, Order, OrderStatus, Source};
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let at = |text: &str| text.parse::<DateTime<Utc>>();
/// let mut shop = DatasetBuilder::new();
/// shop.push_customer(&Customer::new("KH1", at("2026-01-05T10:00:00+07:00")?, Source::Pos));
/// shop.push_customer(&Customer::new("KH2", at("2026-01-05T10:00:00+07:00")?, Source::Pos));
/// shop.push_order(&Order::new("DH1", "KH1", at("2026-02-01T10:00:00+07:00")?,
///     OrderStatus::Completed, Decimal::from(100_000)));
/// for id in ["DH2", "DH3", "DH4"] {
///     shop.push_order(&Order::new(id, "KH2", at("2026-03-01T10:00:00+07:00")?,
///         OrderStatus::Completed, Decimal::from(100_000)));
/// }
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")?).resolve()?;
/// let [one, two, more] = visit_groups(&dataset, &context)?;
/// assert_eq!((one.customers, two.customers, more.customers), (1, 0, 1));
/// assert_eq!(one.customer_share, Some(Decimal::new(5, 1))); // 1 of 2 buyers
/// assert_eq!(more.revenue_share, Some(Decimal::new(75, 2))); // 300000 of 400000
///
/// let before = ReportOptions::new(at("2026-01-31T10:00:00+07:00")?).resolve()?;
/// assert_eq!(visit_groups(&dataset, &before)?[0].customer_share, None); // nobody bought yet
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn visit_groups(dataset: &Dataset, context: &Context) -> Result<[VisitGroupRow; 3]> {
    run(dataset, context, VisitTally::default())
}

/// `gender` (docs/metrics.md#customer_picture): all customers by gender,
/// `{male, female, other, unknown}`; `unknown` = no gender given.
///
/// # Edge cases
/// * Customers created after `as_of` are not counted; the four counts add up to
///   `total_customers`.
///
/// # Example
/// ```
/// use chrono::{DateTime, Utc};
/// use crm_metrics::customer_picture::gender;
/// use crm_metrics::model::{Customer, Gender, Source};
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let at = |text: &str| text.parse::<DateTime<Utc>>();
/// let mut shop = DatasetBuilder::new();
/// let created = at("2026-01-05T10:00:00+07:00")?;
/// shop.push_customer(&Customer::new("KH1", created, Source::Pos).gender(Gender::Female));
/// shop.push_customer(&Customer::new("KH2", created, Source::Pos)); // no gender
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")?).resolve()?;
/// let counts = gender(&dataset, &context);
/// assert_eq!((counts.male, counts.female, counts.other, counts.unknown), (0, 1, 0, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn gender(dataset: &Dataset, context: &Context) -> GenderCounts {
    // OK because GenderTally::finish never fails.
    run(dataset, context, GenderTally::default()).unwrap_or_default()
}

/// `age_groups` (docs/metrics.md#customer_picture): all customers by [`AgeGroup`] of their age in
/// whole years on `today` ([`age_on`]).
///
/// # Edge cases
/// * No birth date, or a birth date after `today`: `unknown`.
/// * A Feb 29 birthday counts on Mar 1 in a non-leap year.
/// * Born exactly 18 years ago today: `18_24`.
///
/// # Example
/// ```
/// use chrono::{DateTime, NaiveDate, Utc};
/// use crm_metrics::customer_picture::age_groups;
/// use crm_metrics::model::{Customer, Source};
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let at = |text: &str| text.parse::<DateTime<Utc>>();
/// let created = at("2026-01-05T10:00:00+07:00")?;
/// let mut shop = DatasetBuilder::new();
/// for (id, birth) in [
///     ("KH1", "2008-11-15"), // 18 today
///     ("KH2", "2008-11-16"), // 17
///     ("KH3", "2027-01-01"), // after today
/// ] {
///     let birth: NaiveDate = birth.parse()?;
///     shop.push_customer(&Customer::new(id, created, Source::Pos).birth_date(birth));
/// }
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")?).resolve()?;
/// let ages = age_groups(&dataset, &context);
/// assert_eq!((ages.under_18, ages.age_18_24, ages.unknown), (1, 1, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn age_groups(dataset: &Dataset, context: &Context) -> AgeGroups {
    // OK because AgeTally::finish never fails.
    run(dataset, context, AgeTally::new(context.today)).unwrap_or_default()
}

/// `spend_levels` (docs/metrics.md#customer_picture): customers by their total purchase spend. The
/// first row, `"none"`, holds the customers without a purchase; then one row `[edges[i],
/// edges[i+1])` per pair of edges (`min` inclusive, `max` exclusive), labelled
/// `"<min>-<max>"`, and a last row `"<min>+"` from the last edge up (`max` null). The
/// report uses [`DEFAULT_SPEND_EDGES`]: `"0-500000"`, …, `"10000000+"`.
///
/// # Edge cases
/// * A customer whose purchases all total 0 is in the first edge row, not in `"none"`.
/// * Spend exactly on an edge goes to the row that starts there.
/// * The rows add up to `total_customers`.
/// * Edges print normalized (`500000.00` is labelled `500000`).
///
/// # Errors
/// * [`Error::InvalidSpendLevels`] unless `edges` is non-empty, strictly increasing and
///   starts at 0 or below. **Decision**: a first edge above 0 would leave customers who
///   spent less in no row; rejecting it keeps the rows a partition of the customers.
/// * [`Error::Overflow`] naming `customer_picture.spend_levels` when a customer's
///   spend does not fit in a decimal.
///
/// # Example
/// ```
/// use chrono::{DateTime, Utc};
/// use rust_decimal::Decimal;
/// use crm_metrics::customer_picture::{DEFAULT_SPEND_EDGES, spend_levels};
/// use crm_metrics::model::{Customer, Order, OrderStatus, Source};
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let at = |text: &str| text.parse::<DateTime<Utc>>();
/// let mut shop = DatasetBuilder::new();
/// shop.push_customer(&Customer::new("KH1", at("2026-01-05T10:00:00+07:00")?, Source::Pos));
/// // never buys
/// shop.push_customer(&Customer::new("KH2", at("2026-01-05T10:00:00+07:00")?, Source::Pos));
/// shop.push_order(&Order::new("DH1", "KH1", at("2026-02-01T10:00:00+07:00")?,
///     OrderStatus::Completed, Decimal::from(300_000)));
/// shop.push_order(&Order::new("DH2", "KH1", at("2026-03-01T10:00:00+07:00")?,
///     OrderStatus::Completed, Decimal::from(200_000)));
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")?).resolve()?;
/// let levels = spend_levels(&dataset, &context, &DEFAULT_SPEND_EDGES)?;
/// assert_eq!((levels[0].label.as_str(), levels[0].customers), ("none", 1));
/// // 300000 + 200000 = 500000: on the edge, so in the row that starts there.
/// assert_eq!((levels[2].label.as_str(), levels[2].customers), ("500000-2000000", 1));
/// assert_eq!(levels[5].label, "10000000+");
///
/// assert!(spend_levels(&dataset, &context, &[Decimal::from(100)]).is_err()); // starts above 0
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn spend_levels(
    dataset: &Dataset,
    context: &Context,
    edges: &[Decimal],
) -> Result<Vec<SpendLevel>> {
    run(dataset, context, LevelTally::new(edges)?)
}

/// `connections` (docs/metrics.md#customer_picture): customers with a phone (`sms`), a `zalo_id`
/// (`zalo`), a `facebook_id` (`facebook`), each with `rate = customers / total_customers`.
///
/// # Edge cases
/// * No customer: every `rate` is `None`.
/// * A present but blank value (`" "`) is a value (docs/input-format.md#values): it counts.
///
/// # Example
/// ```
/// use chrono::{DateTime, Utc};
/// use rust_decimal::Decimal;
/// use crm_metrics::customer_picture::connections;
/// use crm_metrics::model::{Customer, Source};
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let at = |text: &str| text.parse::<DateTime<Utc>>();
/// let created = at("2026-01-05T10:00:00+07:00")?;
/// let mut shop = DatasetBuilder::new();
/// shop.push_customer(&Customer::new("KH1", created, Source::Pos).phone("0901").zalo_id("z1"));
/// shop.push_customer(&Customer::new("KH2", created, Source::Pos).phone("0902"));
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")?).resolve()?;
/// let reach = connections(&dataset, &context);
/// assert_eq!((reach.sms.customers, reach.sms.rate), (2, Some(Decimal::ONE)));
/// assert_eq!(reach.zalo.rate, Some(Decimal::new(5, 1)));
/// assert_eq!(reach.facebook.customers, 0);
///
/// let empty = DatasetBuilder::new().build()?;
/// assert_eq!(connections(&empty, &context).sms.rate, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn connections(dataset: &Dataset, context: &Context) -> Connections {
    // OK because ConnectionTally::finish never fails.
    run(dataset, context, ConnectionTally::default())
        .unwrap_or_else(|_| ConnectionTally::default().connections())
}

/// `return_cycle` (docs/metrics.md#customer_picture): the gaps in local days between consecutive
/// purchases of the same customer, `local_date(purchase[k+1]) - local_date(purchase[k])` in
/// purchase order `(created_at, id)`, counted per [`CycleBucket`]: rows `{bucket, gaps}` for every
/// bucket.
///
/// # Edge cases
/// * No purchase or a single purchase: no gap. The gaps add up to
///   `purchases - customers with a purchase`.
/// * Two purchases on the same local date (even at the same instant) make a `same_day`
///   gap (docs/metrics.md#customer_picture); days are local, so 23:00 and 01:00 the next morning
///   are 1 day.
/// * Purchases after `as_of` make no gap.
///
/// # Example
/// ```
/// use chrono::{DateTime, Utc};
/// use rust_decimal::Decimal;
/// use crm_metrics::customer_picture::{CycleBucket, return_cycle};
/// use crm_metrics::model::{Customer, Order, OrderStatus, Source};
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let at = |text: &str| text.parse::<DateTime<Utc>>();
/// let mut shop = DatasetBuilder::new();
/// shop.push_customer(&Customer::new("KH1", at("2026-01-05T10:00:00+07:00")?, Source::Pos));
/// shop.push_order(&Order::new("DH1", "KH1", at("2026-03-01T23:00:00+07:00")?,
///     OrderStatus::Completed, Decimal::from(1)));
/// // next day
/// shop.push_order(&Order::new("DH2", "KH1", at("2026-03-02T01:00:00+07:00")?,
///     OrderStatus::Completed, Decimal::from(1)));
/// // 7 days on
/// shop.push_order(&Order::new("DH3", "KH1", at("2026-03-09T01:00:00+07:00")?,
///     OrderStatus::Completed, Decimal::from(1)));
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")?).resolve()?;
/// let rows = return_cycle(&dataset, &context);
/// assert_eq!(rows[CycleBucket::OneDay.index()].gaps, 1);
/// assert_eq!(rows[CycleBucket::OneWeek.index()].gaps, 1);
/// assert_eq!(rows.iter().map(|row| row.gaps).sum::<u64>(), 2); // 3 purchases - 1 customer
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn return_cycle(dataset: &Dataset, context: &Context) -> [ReturnCycleRow; CycleBucket::COUNT] {
    // OK because CycleTally::finish never fails.
    let (gaps, _) = run(dataset, context, CycleTally::default())
        .unwrap_or_else(|_| CycleTally::default().rows());
    gaps
}

/// `customer_cycle` (docs/metrics.md#customer_picture): customers with at least 2 purchases by the
/// [`CycleBucket`] of their median gap ([`return_cycle`]'s gaps of that customer), the
/// **lower** median for an even number of gaps: rows `{bucket, customers}` for every
/// bucket.
///
/// The lower median of `n` gaps is the `(n - 1) / 2`-th smallest (from 0): of gaps
/// `1, 10` it is `1`. It is settled per customer, so shards merge exactly.
///
/// # Edge cases
/// * Customers with fewer than 2 purchases are in no row.
/// * Purchases after `as_of` are not purchases yet: they neither add a gap nor move
///   the median.
///
/// # Example
/// ```
/// use chrono::{DateTime, Utc};
/// use rust_decimal::Decimal;
/// use crm_metrics::customer_picture::{CycleBucket, customer_cycle};
/// use crm_metrics::model::{Customer, Order, OrderStatus, Source};
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let at = |text: &str| text.parse::<DateTime<Utc>>();
/// let mut shop = DatasetBuilder::new();
/// shop.push_customer(&Customer::new("KH1", at("2026-01-05T10:00:00+07:00")?, Source::Pos));
/// shop.push_order(&Order::new("DH1", "KH1", at("2026-03-01T10:00:00+07:00")?,
///     OrderStatus::Completed, Decimal::from(1)));
/// // 10 days
/// shop.push_order(&Order::new("DH2", "KH1", at("2026-03-11T10:00:00+07:00")?,
///     OrderStatus::Completed, Decimal::from(1)));
/// // 1 day
/// shop.push_order(&Order::new("DH3", "KH1", at("2026-03-12T10:00:00+07:00")?,
///     OrderStatus::Completed, Decimal::from(1)));
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")?).resolve()?;
/// // Gaps 10 and 1: the lower median is 1.
/// let rows = customer_cycle(&dataset, &context);
/// assert_eq!(rows[CycleBucket::OneDay.index()].customers, 1);
/// assert_eq!(rows.iter().map(|row| row.customers).sum::<u64>(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn customer_cycle(
    dataset: &Dataset,
    context: &Context,
) -> [CustomerCycleRow; CycleBucket::COUNT] {
    // OK because CycleTally::finish never fails.
    let (_, customers) = run(dataset, context, CycleTally::default())
        .unwrap_or_else(|_| CycleTally::default().rows());
    customers
}

/// `spend_frequency` (docs/metrics.md#customer_picture): customers with at least one purchase **in
/// the period**, by their number of purchases in the period: rows `"1"`, `"2"`, `"3"`, `"4"`,
/// `"5+"`.
///
/// # Edge cases
/// * Purchases outside the period (before it, or after `as_of`) do not count; a
///   customer whose purchases are all outside is in no row.
/// * The only metric of the customer picture that depends on the report's period.
///
/// # Example
/// ```
/// use chrono::{DateTime, Utc};
/// use rust_decimal::Decimal;
/// use crm_metrics::customer_picture::spend_frequency;
/// use crm_metrics::model::{Customer, Order, OrderStatus, Source};
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let at = |text: &str| text.parse::<DateTime<Utc>>();
/// let mut shop = DatasetBuilder::new();
/// shop.push_customer(&Customer::new("KH1", at("2026-01-05T10:00:00+07:00")?, Source::Pos));
/// // October
/// shop.push_order(&Order::new("DH1", "KH1", at("2026-10-30T10:00:00+07:00")?,
///     OrderStatus::Completed, Decimal::from(1)));
/// shop.push_order(&Order::new("DH2", "KH1", at("2026-11-02T10:00:00+07:00")?,
///     OrderStatus::Completed, Decimal::from(1)));
/// shop.push_order(&Order::new("DH3", "KH1", at("2026-11-03T10:00:00+07:00")?,
///     OrderStatus::Completed, Decimal::from(1)));
/// let dataset = shop.build()?;
/// // this_month: November 2026.
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")?).resolve()?;
/// let rows = spend_frequency(&dataset, &context);
/// assert_eq!((rows[1].purchases.label(), rows[1].customers), ("2", 1));
/// assert_eq!(rows.iter().map(|row| row.customers).sum::<u64>(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn spend_frequency(
    dataset: &Dataset,
    context: &Context,
) -> [SpendFrequencyRow; PeriodPurchases::COUNT] {
    // OK because FrequencyTally::finish never fails.
    run(dataset, context, FrequencyTally::default())
        .unwrap_or_else(|_| FrequencyTally::default().rows())
}

// ---------------------------------------------------------------------------------------
// The section's metrics
// ---------------------------------------------------------------------------------------

/// Customers created today / this week / this month and in the unit before.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct UnitTally {
    /// Today, yesterday, this week, last week, this month, last month.
    ranges: [Range<Ts>; 6],
    /// The earliest start of the ranges: most customers are older and skip the checks.
    earliest: Ts,
    counts: [u64; 6],
}

impl UnitTally {
    fn new(context: &Context) -> Result<UnitTally> {
        let range = |preset: Preset| -> Result<[Range<Ts>; 2]> {
            let (current, previous) = preset.resolve(context.today)?;
            Ok([
                context.calendar.range_ts(current),
                context.calendar.range_ts(previous),
            ])
        };
        let [today, yesterday] = range(Preset::Today)?;
        let [this_week, last_week] = range(Preset::ThisWeek)?;
        let [this_month, last_month] = range(Preset::ThisMonth)?;
        let ranges = [
            today, yesterday, this_week, last_week, this_month, last_month,
        ];
        Ok(UnitTally {
            earliest: ranges.iter().map(|r| r.start).min().unwrap_or(Ts::MIN),
            ranges,
            counts: [0; 6],
        })
    }
}

impl Tally for UnitTally {
    const PURCHASES: bool = false;
    type Output = NewCustomersByUnit;

    #[inline]
    fn add(&mut self, _: &Dataset, _: &Context, facts: &Facts<'_>) {
        // Existing customers only: created_at <= as_of already holds.
        let created_at = facts.row.created_at;
        if created_at < self.earliest {
            return;
        }
        for (count, range) in self.counts.iter_mut().zip(&self.ranges) {
            *count += u64::from(range.contains(&created_at));
        }
    }

    fn merge(&mut self, other: UnitTally) {
        for (a, b) in self.counts.iter_mut().zip(other.counts) {
            *a += b;
        }
    }

    fn finish(self, _: &Context) -> Result<NewCustomersByUnit> {
        let [
            today,
            yesterday,
            this_week,
            last_week,
            this_month,
            last_month,
        ] = self.counts;
        Ok(NewCustomersByUnit {
            today: Comparison::counts(today, yesterday),
            this_week: Comparison::counts(this_week, last_week),
            this_month: Comparison::counts(this_month, last_month),
        })
    }
}

/// Customers with at least `threshold` voucher purchases.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct VoucherTally {
    threshold: u64,
    customers: u64,
}

impl VoucherTally {
    fn new(threshold: u32) -> VoucherTally {
        VoucherTally {
            threshold: u64::from(threshold),
            customers: 0,
        }
    }
}

impl Tally for VoucherTally {
    const PURCHASES: bool = true;
    const TOTALS_ONLY: bool = true;
    type Output = u64;

    #[inline]
    fn add(&mut self, _: &Dataset, _: &Context, facts: &Facts<'_>) {
        self.customers += u64::from(facts.purchases.voucher_purchases() >= self.threshold);
    }

    fn merge(&mut self, other: VoucherTally) {
        self.customers += other.customers;
    }

    fn finish(self, _: &Context) -> Result<u64> {
        Ok(self.customers)
    }
}

/// Buyers and their spend by number of purchases (1, 2, 3+).
#[derive(Clone, Copy, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct VisitTally {
    customers: [u64; Visits::COUNT],
    revenue: [ScaledSum; Visits::COUNT],
}

impl Tally for VisitTally {
    const PURCHASES: bool = true;
    const TOTALS_ONLY: bool = true;
    type Output = [VisitGroupRow; 3];

    #[inline]
    fn add(&mut self, _: &Dataset, _: &Context, facts: &Facts<'_>) {
        if let Some(visits) = Visits::of(facts.purchases.purchases()) {
            let i = visits.index();
            // OK because Visits::index() < Visits::COUNT.
            self.customers[i] += 1;
            self.revenue[i].add(facts.purchases.spend_sum());
        }
    }

    fn merge(&mut self, other: VisitTally) {
        for i in 0..Visits::COUNT {
            self.customers[i] += other.customers[i];
            self.revenue[i].merge(&other.revenue[i]);
        }
    }

    fn finish(self, _: &Context) -> Result<[VisitGroupRow; 3]> {
        const WHAT: &str = "customer_picture.visit_groups";
        let buyers: u64 = self.customers.iter().sum();
        let mut total = ScaledSum::default();
        for sum in &self.revenue {
            total.merge(sum);
        }
        let total = total.finish(WHAT)?;
        let row = |visits: Visits| -> Result<VisitGroupRow> {
            let i = visits.index();
            let revenue = self.revenue[i].finish(WHAT)?;
            Ok(VisitGroupRow {
                visits,
                customers: self.customers[i],
                customer_share: count_ratio(self.customers[i], buyers),
                revenue,
                revenue_share: ratio(WHAT, revenue, total)?,
            })
        };
        Ok([
            row(Visits::One)?,
            row(Visits::Two)?,
            row(Visits::ThreeOrMore)?,
        ])
    }
}

/// Customers by gender (male, female, other, unknown).
#[derive(Clone, Copy, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct GenderTally([u64; 4]);

impl Tally for GenderTally {
    const PURCHASES: bool = false;
    type Output = GenderCounts;

    #[inline]
    fn add(&mut self, _: &Dataset, _: &Context, facts: &Facts<'_>) {
        let i = match facts.row.gender {
            Some(Gender::Male) => 0,
            Some(Gender::Female) => 1,
            Some(Gender::Other) => 2,
            None => 3,
        };
        self.0[i] += 1;
    }

    fn merge(&mut self, other: GenderTally) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }

    fn finish(self, _: &Context) -> Result<GenderCounts> {
        let [male, female, other, unknown] = self.0;
        Ok(GenderCounts {
            male,
            female,
            other,
            unknown,
        })
    }
}

/// Customers by age group.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct AgeTally {
    /// `today` as days from the common era (chrono's `num_days_from_ce`).
    today: i32,
    /// For each of [`AGE_EDGES`] `k`: the latest birth date (days from the common era) of
    /// someone aged `k` or more today, `today - 12k months` clamped (Feb 29 becomes Feb
    /// 28, so a Feb 29 birthday is reached on Mar 1 of a non-leap year); `i32::MIN`
    /// beyond chrono's range, which no birth date reaches.
    cutoffs: [i32; AGE_EDGES.len()],
    counts: [u64; AgeGroup::COUNT],
}

impl AgeTally {
    fn new(today: NaiveDate) -> AgeTally {
        use chrono::Datelike;
        AgeTally {
            today: today.num_days_from_ce(),
            cutoffs: AGE_EDGES.map(|years| {
                sub_months(today, years * 12).map_or(i32::MIN, |c| c.num_days_from_ce())
            }),
            counts: [0; AgeGroup::COUNT],
        }
    }

    /// [`AgeGroup::of`] with the cut-offs computed once: a few integer comparisons.
    #[inline]
    fn group(&self, birth: Option<NaiveDate>) -> AgeGroup {
        use chrono::Datelike;
        match birth.map(|birth| birth.num_days_from_ce()) {
            Some(birth) if birth <= self.today => {
                let reached: usize = self
                    .cutoffs
                    .iter()
                    .map(|cutoff| usize::from(birth <= *cutoff))
                    .sum();
                // OK because reached <= AGE_EDGES.len() = 5 < AgeGroup::COUNT.
                AgeGroup::ALL[reached]
            }
            _ => AgeGroup::Unknown,
        }
    }
}

impl Tally for AgeTally {
    const PURCHASES: bool = false;
    type Output = AgeGroups;

    #[inline]
    fn add(&mut self, _: &Dataset, _: &Context, facts: &Facts<'_>) {
        let group = self.group(facts.row.birth_date);
        // OK because AgeGroup::index() < AgeGroup::COUNT.
        self.counts[group.index()] += 1;
    }

    fn merge(&mut self, other: AgeTally) {
        for (a, b) in self.counts.iter_mut().zip(other.counts) {
            *a += b;
        }
    }

    fn finish(self, _: &Context) -> Result<AgeGroups> {
        Ok(AgeGroups::from_counts(self.counts))
    }
}

/// Customers by total spend: `counts[0]` without a purchase, `counts[i]` in
/// `[edges[i-1], edges[i])`.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct LevelTally {
    /// Normalized, strictly increasing, `edges[0] <= 0`.
    edges: Vec<Decimal>,
    /// The edges as `(mantissa, scale)`, for comparing raw sums.
    raw_edges: Vec<(i128, u32)>,
    counts: Vec<u64>,
    /// A customer's spend did not fit in a decimal.
    overflow: bool,
}

impl LevelTally {
    fn new(edges: &[Decimal]) -> Result<LevelTally> {
        let edges: Vec<Decimal> = edges.iter().map(Decimal::normalize).collect();
        let increasing = edges.windows(2).all(|pair| pair[0] < pair[1]);
        match edges.first() {
            Some(first) if *first <= Decimal::ZERO && increasing => Ok(LevelTally {
                counts: vec![0; edges.len() + 1],
                raw_edges: edges.iter().map(|e| (e.mantissa(), e.scale())).collect(),
                edges,
                overflow: false,
            }),
            _ => Err(Error::InvalidSpendLevels { edges }),
        }
    }
}

/// Compares `a / 10^a_scale` with `b / 10^b_scale` exactly, without building decimals:
/// the operand of the smaller scale is brought to the larger one; when that overflows
/// `i128`, its magnitude exceeds the other's, so its sign decides.
#[inline]
fn cmp_scaled((a, a_scale): (i128, u32), (b, b_scale): (i128, u32)) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let rescale = |value: i128, by: u32| {
        POW10
            .get(by as usize)
            .and_then(|factor| value.checked_mul(*factor))
    };
    match a_scale.cmp(&b_scale) {
        Ordering::Equal => a.cmp(&b),
        Ordering::Less => match rescale(a, b_scale - a_scale) {
            Some(a) => a.cmp(&b),
            None => a.cmp(&0),
        },
        Ordering::Greater => match rescale(b, a_scale - b_scale) {
            Some(b) => a.cmp(&b),
            None => 0.cmp(&b),
        },
    }
}

impl Tally for LevelTally {
    const PURCHASES: bool = true;
    const TOTALS_ONLY: bool = true;
    type Output = Vec<SpendLevel>;

    #[inline]
    fn add(&mut self, _: &Dataset, _: &Context, facts: &Facts<'_>) {
        let row = if facts.purchases.purchases() == 0 {
            0
        } else {
            let Some(spend) = facts.purchases.spend_sum().parts() else {
                self.overflow = true;
                return;
            };
            // The number of edges <= spend (a handful: a linear scan beats a binary
            // search). Totals are >= 0 and edges[0] <= 0, so the row is at least 1.
            let mut row = 0;
            for edge in &self.raw_edges {
                if cmp_scaled(*edge, spend).is_gt() {
                    break;
                }
                row += 1;
            }
            row
        };
        // OK because row <= edges.len() < counts.len().
        if let Some(count) = self.counts.get_mut(row) {
            *count += 1;
        }
    }

    fn merge(&mut self, other: LevelTally) {
        for (a, b) in self.counts.iter_mut().zip(other.counts) {
            *a += b;
        }
        self.overflow |= other.overflow;
    }

    fn finish(self, _: &Context) -> Result<Vec<SpendLevel>> {
        if self.overflow {
            return Err(Error::Overflow {
                what: "customer_picture.spend_levels",
            });
        }
        let mut rows = Vec::with_capacity(self.counts.len());
        rows.push(SpendLevel {
            min: None,
            max: None,
            label: "none".to_owned(),
            customers: self.counts.first().copied().unwrap_or(0),
        });
        for (i, (min, customers)) in self
            .edges
            .iter()
            .zip(self.counts.iter().skip(1))
            .enumerate()
        {
            let max = self.edges.get(i + 1).copied();
            let label = match max {
                Some(max) => format!("{min}-{max}"),
                None => format!("{min}+"),
            };
            rows.push(SpendLevel {
                min: Some(*min),
                max,
                label,
                customers: *customers,
            });
        }
        Ok(rows)
    }
}

/// Customers with a phone, a Zalo id, a Facebook id, out of all customers.
#[derive(Clone, Copy, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct ConnectionTally {
    customers: u64,
    sms: u64,
    zalo: u64,
    facebook: u64,
}

impl ConnectionTally {
    fn connections(&self) -> Connections {
        let connection = |customers: u64| Connection {
            customers,
            rate: count_ratio(customers, self.customers),
        };
        Connections {
            sms: connection(self.sms),
            zalo: connection(self.zalo),
            facebook: connection(self.facebook),
        }
    }
}

impl Tally for ConnectionTally {
    const PURCHASES: bool = false;
    type Output = Connections;

    #[inline]
    fn add(&mut self, _: &Dataset, _: &Context, facts: &Facts<'_>) {
        let contacts = facts.row.contacts;
        self.customers += 1;
        self.sms += u64::from(contacts.has(Contacts::PHONE));
        self.zalo += u64::from(contacts.has(Contacts::ZALO));
        self.facebook += u64::from(contacts.has(Contacts::FACEBOOK));
    }

    fn merge(&mut self, other: ConnectionTally) {
        self.customers += other.customers;
        self.sms += other.sms;
        self.zalo += other.zalo;
        self.facebook += other.facebook;
    }

    fn finish(self, _: &Context) -> Result<Connections> {
        Ok(self.connections())
    }
}

/// Gaps per bucket, and customers per bucket of their median gap.
#[derive(Clone, Copy, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct CycleTally {
    gaps: [u64; CycleBucket::COUNT],
    customers: [u64; CycleBucket::COUNT],
}

type CycleRows = (
    [ReturnCycleRow; CycleBucket::COUNT],
    [CustomerCycleRow; CycleBucket::COUNT],
);

impl Tally for CycleTally {
    const PURCHASES: bool = true;
    const GAPS: bool = true;
    type Output = CycleRows;

    #[inline]
    fn add(&mut self, _: &Dataset, _: &Context, facts: &Facts<'_>) {
        let purchases = facts.purchases;
        if purchases.purchases() < 2 {
            return;
        }
        for (total, gaps) in self.gaps.iter_mut().zip(purchases.gap_counts()) {
            *total += u64::from(*gaps);
        }
        if let Some(bucket) = purchases.median_gap_bucket() {
            // OK because CycleBucket::index() < CycleBucket::COUNT.
            self.customers[bucket.index()] += 1;
        }
    }

    fn merge(&mut self, other: CycleTally) {
        for i in 0..CycleBucket::COUNT {
            self.gaps[i] += other.gaps[i];
            self.customers[i] += other.customers[i];
        }
    }

    fn finish(self, _: &Context) -> Result<CycleRows> {
        Ok(self.rows())
    }
}

impl CycleTally {
    fn rows(&self) -> CycleRows {
        (
            CycleBucket::ALL.map(|bucket| ReturnCycleRow {
                bucket,
                gaps: self.gaps[bucket.index()],
            }),
            CycleBucket::ALL.map(|bucket| CustomerCycleRow {
                bucket,
                customers: self.customers[bucket.index()],
            }),
        )
    }
}

/// Buyers of the period by their purchases in the period (1, 2, 3, 4, 5+).
#[derive(Clone, Copy, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct FrequencyTally([u64; PeriodPurchases::COUNT]);

impl FrequencyTally {
    fn rows(&self) -> [SpendFrequencyRow; PeriodPurchases::COUNT] {
        PeriodPurchases::ALL.map(|purchases| SpendFrequencyRow {
            purchases,
            customers: self.0[purchases.index()],
        })
    }
}

impl Tally for FrequencyTally {
    const PURCHASES: bool = true;
    type Output = [SpendFrequencyRow; PeriodPurchases::COUNT];

    #[inline]
    fn add(&mut self, _: &Dataset, _: &Context, facts: &Facts<'_>) {
        if let Some(row) = PeriodPurchases::of(facts.purchases.period_purchases()) {
            // OK because PeriodPurchases::index() < PeriodPurchases::COUNT.
            self.0[row.index()] += 1;
        }
    }

    fn merge(&mut self, other: FrequencyTally) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }

    fn finish(self, _: &Context) -> Result<[SpendFrequencyRow; PeriodPurchases::COUNT]> {
        Ok(self.rows())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customers::PurchaseSummary;
    use crate::model::{Customer, Order, OrderStatus, Source};
    use chrono::{DateTime, Utc};
    use std::fmt;
    use std::str::FromStr;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn customer(id: &str, created: &str) -> Customer {
        Customer {
            id: id.into(),
            created_at: at(created),
            source: Source::Pos,
            name: None,
            phone: None,
            email: None,
            gender: None,
            birth_date: None,
            zalo_id: None,
            facebook_id: None,
            notes: None,
        }
    }

    fn purchase(id: &str, customer: &str, created: &str, total: &str) -> Order {
        Order {
            id: id.into(),
            customer_id: customer.into(),
            created_at: at(created),
            status: OrderStatus::Completed,
            total: dec(total),
            cost_of_goods: None,
            source: None,
            fanpage_id: None,
            staff_id: None,
            voucher_code: None,
        }
    }

    fn voucher(order: Order) -> Order {
        Order {
            voucher_code: Some("SALE".into()),
            ..order
        }
    }

    fn context_at(as_of: &str) -> Context {
        ReportOptions::new(at(as_of)).resolve().unwrap()
    }

    /// as_of 2026-11-15T10:00+07:00, a Sunday; this_month.
    fn context() -> Context {
        context_at("2026-11-15T10:00:00+07:00")
    }

    /// The shop of the section test (as_of 2026-11-15T10:00+07:00):
    /// * A female, born 2008-02-29, phone + zalo: purchases 2026-01-01 10:00 (100000,
    ///   voucher), 20:00 the same day (50000, voucher), 2026-01-08 (20000, voucher: gap
    ///   7), 2026-02-07 (30000: gap 30). Gaps 0, 7, 30: median 7.
    /// * B male, born 1990-06-15, facebook: 2025-01-01 and 2026-01-01 (1000000 each:
    ///   gap 365).
    /// * C no gender, no birth date: purchases 2026-11-01, 11-02, 11-04, 11-14,
    ///   11-15 09:00 (2000000 each: gaps 1, 2, 10, 1; sorted 1, 1, 2, 10, the lower
    ///   median is 1, the upper 2); a cancelled order on 11-03 and a purchase after
    ///   as_of (11-15 11:00).
    /// * D gender other, born 2026-11-16 (after today), created today 08:00, no order.
    /// * E created 2026-11-16, after as_of, with a purchase on 2026-11-01: not counted.
    /// * F male, born 2008-11-15 (18 today), created yesterday: one purchase 499999.5.
    /// * G born 1971-11-16 (54 until tomorrow), phone, created 2026-11-08 (last week).
    fn shop() -> Dataset {
        use crate::model::Gender;
        let mut b = Dataset::builder();
        let old = "2024-01-01T10:00:00+07:00";
        b.push_customer(&Customer {
            gender: Some(Gender::Female),
            birth_date: Some(d("2008-02-29")),
            phone: Some("0901".into()),
            zalo_id: Some("za".into()),
            ..customer("A", old)
        });
        b.push_customer(&Customer {
            gender: Some(Gender::Male),
            birth_date: Some(d("1990-06-15")),
            facebook_id: Some("fb".into()),
            ..customer("B", old)
        });
        b.push_customer(&customer("C", old));
        b.push_customer(&Customer {
            gender: Some(Gender::Other),
            birth_date: Some(d("2026-11-16")),
            ..customer("D", "2026-11-15T08:00:00+07:00")
        });
        b.push_customer(&Customer {
            gender: Some(Gender::Female),
            ..customer("E", "2026-11-16T08:00:00+07:00")
        });
        b.push_customer(&Customer {
            gender: Some(Gender::Male),
            birth_date: Some(d("2008-11-15")),
            ..customer("F", "2026-11-14T08:00:00+07:00")
        });
        b.push_customer(&Customer {
            birth_date: Some(d("1971-11-16")),
            phone: Some("0902".into()),
            ..customer("G", "2026-11-08T08:00:00+07:00")
        });
        b.push_order(&voucher(purchase(
            "A1",
            "A",
            "2026-01-01T10:00:00+07:00",
            "100000",
        )));
        b.push_order(&voucher(purchase(
            "A2",
            "A",
            "2026-01-01T20:00:00+07:00",
            "50000",
        )));
        b.push_order(&voucher(purchase(
            "A3",
            "A",
            "2026-01-08T10:00:00+07:00",
            "20000",
        )));
        b.push_order(&purchase("A4", "A", "2026-02-07T10:00:00+07:00", "30000"));
        b.push_order(&purchase("B1", "B", "2025-01-01T10:00:00+07:00", "1000000"));
        b.push_order(&purchase("B2", "B", "2026-01-01T10:00:00+07:00", "1000000"));
        for (id, when) in [
            ("C1", "2026-11-01T10:00:00+07:00"),
            ("C2", "2026-11-02T10:00:00+07:00"),
            ("C3", "2026-11-04T10:00:00+07:00"),
            ("C4", "2026-11-14T10:00:00+07:00"),
            ("C5", "2026-11-15T09:00:00+07:00"),
            ("C7", "2026-11-15T11:00:00+07:00"), // after as_of
        ] {
            b.push_order(&purchase(id, "C", when, "2000000"));
        }
        b.push_order(&Order {
            status: OrderStatus::Cancelled,
            ..purchase("C6", "C", "2026-11-03T10:00:00+07:00", "7")
        });
        b.push_order(&purchase("E1", "E", "2026-11-01T10:00:00+07:00", "9"));
        b.push_order(&purchase(
            "F1",
            "F",
            "2026-11-14T10:00:00+07:00",
            "499999.5",
        ));
        b.build().unwrap()
    }

    fn gaps(rows: &[ReturnCycleRow]) -> Vec<u64> {
        rows.iter().map(|row| row.gaps).collect()
    }

    fn cycle(rows: &[CustomerCycleRow]) -> Vec<u64> {
        rows.iter().map(|row| row.customers).collect()
    }

    #[test]
    fn the_section_by_hand() {
        let s = section(&shop(), &context()).unwrap();
        // A, B, C, D, F, G exist; E is created after as_of.
        assert_eq!(s.total_customers, 6);
        assert_eq!(s.new_today, Comparison::counts(1, 1)); // D today, F yesterday
        assert_eq!(s.new_this_week, Comparison::counts(2, 1)); // D, F (Nov 9-15); G (Nov 2-8)
        assert_eq!(s.new_this_month, Comparison::counts(3, 0)); // D, F, G; nobody in October
        // 170000 + 30000 (A) + 2000000 (B) + 10000000 (C) + 499999.5 (F)
        assert_eq!(s.total_spend, dec("12699999.5"));
        assert_eq!(s.invoices, 12); // 4 + 2 + 5 + 1
        assert_eq!(s.avg_invoice, Some(dec("12699999.5") / Decimal::from(12)));
        assert_eq!(s.voucher_customers, 1); // A: 3 voucher purchases
        let [one, two, more] = s.visit_groups;
        // F once; B twice; A and C 3+ times; 4 buyers.
        assert_eq!((one.customers, two.customers, more.customers), (1, 1, 2));
        assert_eq!(one.customer_share, Some(dec("0.25")));
        assert_eq!(more.customer_share, Some(dec("0.5")));
        assert_eq!(one.revenue, dec("499999.5"));
        assert_eq!(two.revenue, dec("2000000"));
        assert_eq!(more.revenue, dec("10200000")); // 200000 + 10000000
        assert_eq!(
            more.revenue_share,
            Some(dec("10200000") / dec("12699999.5"))
        );
        assert_eq!(
            s.gender,
            GenderCounts {
                male: 2,
                female: 1,
                other: 1,
                unknown: 2
            } // B F; A; D; C G
        );
        assert_eq!(
            s.age_groups,
            AgeGroups {
                under_18: 0,
                age_18_24: 2, // A (18 since Feb 29), F (18 today)
                age_25_34: 0,
                age_35_44: 1, // B, 36
                age_45_54: 1, // G, 54 until tomorrow
                age_55_plus: 0,
                unknown: 2, // C no birth date, D born after today
            }
        );
        let levels: Vec<(&str, u64)> = s
            .spend_levels
            .iter()
            .map(|row| (row.label.as_str(), row.customers))
            .collect();
        assert_eq!(
            levels,
            [
                ("none", 2),     // D, G
                ("0-500000", 2), // A 200000, F 499999.5
                ("500000-2000000", 0),
                ("2000000-5000000", 1), // B exactly 2000000
                ("5000000-10000000", 0),
                ("10000000+", 1), // C exactly 10000000
            ]
        );
        let sixth = Decimal::ONE / Decimal::from(6);
        assert_eq!(
            s.connections.sms,
            Connection {
                customers: 2,
                rate: Some(Decimal::from(2) / Decimal::from(6))
            }
        );
        assert_eq!(
            s.connections.zalo,
            Connection {
                customers: 1,
                rate: Some(sixth)
            }
        );
        assert_eq!(
            s.connections.facebook,
            Connection {
                customers: 1,
                rate: Some(sixth)
            }
        );
        // Gaps: A 0, 7, 30; B 365; C 1, 2, 10, 1.
        // buckets:        same 1d 2d 3-6 1w 2w 1m 2m 3m 6m 1y
        assert_eq!(gaps(&s.return_cycle), [1, 2, 1, 0, 2, 0, 1, 0, 0, 0, 1]);
        // 12 purchases - 4 buyers = 8 gaps
        assert_eq!(gaps(&s.return_cycle).iter().sum::<u64>(), 8);
        // Medians: A 7 (1_week), B 365 (1_year_plus), C lower median 1 (1_day).
        assert_eq!(cycle(&s.customer_cycle), [0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
        // November: C has 5 purchases (the 6th is after as_of), F has 1.
        let frequency: Vec<u64> = s.spend_frequency.iter().map(|r| r.customers).collect();
        assert_eq!(frequency, [1, 0, 0, 0, 1]);
    }

    #[test]
    fn one_metric_at_a_time_agrees_with_the_section() {
        let (data, ctx) = (shop(), context());
        let s = section(&data, &ctx).unwrap();
        let units = new_customers_by_unit(&data, &ctx).unwrap();
        assert_eq!(
            (units.today, units.this_week, units.this_month),
            (s.new_today, s.new_this_week, s.new_this_month)
        );
        let totals = spend_totals(&data, &ctx).unwrap();
        assert_eq!(
            (totals.total_spend, totals.invoices, totals.avg_invoice),
            (s.total_spend, s.invoices, s.avg_invoice)
        );
        assert_eq!(voucher_customers(&data, &ctx, 3), s.voucher_customers);
        assert_eq!(visit_groups(&data, &ctx).unwrap(), s.visit_groups);
        assert_eq!(gender(&data, &ctx), s.gender);
        assert_eq!(age_groups(&data, &ctx), s.age_groups);
        assert_eq!(
            spend_levels(&data, &ctx, &DEFAULT_SPEND_EDGES).unwrap(),
            s.spend_levels
        );
        assert_eq!(connections(&data, &ctx), s.connections);
        assert_eq!(return_cycle(&data, &ctx), s.return_cycle);
        assert_eq!(customer_cycle(&data, &ctx), s.customer_cycle);
        assert_eq!(spend_frequency(&data, &ctx), s.spend_frequency);
        assert_eq!(
            crate::customers::total_customers(&data, &ctx),
            s.total_customers
        );
    }

    #[test]
    fn voucher_threshold_is_a_parameter() {
        let (data, ctx) = (shop(), context());
        // A has 3 voucher purchases; nobody else has any.
        assert_eq!(voucher_customers(&data, &ctx, 4), 0);
        assert_eq!(voucher_customers(&data, &ctx, 1), 1);
        assert_eq!(voucher_customers(&data, &ctx, 0), 6); // every existing customer
        // Before A's third voucher purchase, A has 2.
        let early = context_at("2026-01-05T10:00:00+07:00");
        assert_eq!(voucher_customers(&data, &early, 3), 0);
        let options = PictureOptions::default().voucher_threshold(2);
        assert_eq!(
            section_with(&data, &early, &options)
                .unwrap()
                .voucher_customers,
            1
        );
    }

    #[test]
    fn gap_buckets_at_their_edges() {
        // (gap in days, bucket): every boundary of the documented buckets.
        let cases = [
            (0, CycleBucket::SameDay),
            (1, CycleBucket::OneDay),
            (2, CycleBucket::TwoDays),
            (3, CycleBucket::ThreeToSixDays),
            (6, CycleBucket::ThreeToSixDays),
            (7, CycleBucket::OneWeek),
            (13, CycleBucket::OneWeek),
            (14, CycleBucket::TwoWeeks),
            (29, CycleBucket::TwoWeeks),
            (30, CycleBucket::OneMonth),
            (59, CycleBucket::OneMonth),
            (60, CycleBucket::TwoMonths),
            (89, CycleBucket::TwoMonths),
            (90, CycleBucket::ThreeMonths),
            (179, CycleBucket::ThreeMonths),
            (180, CycleBucket::SixMonths),
            (364, CycleBucket::SixMonths),
            (365, CycleBucket::OneYearPlus),
            (100_000, CycleBucket::OneYearPlus),
        ];
        for (days, bucket) in cases {
            assert_eq!(CycleBucket::of_gap_days(days), bucket, "{days} days");
        }
    }

    /// One customer created long ago with purchases at these instants (totals 1).
    fn one_buyer(purchases: &[&str]) -> (Dataset, CustomerIdx) {
        let mut b = Dataset::builder();
        b.push_customer(&customer("A", "2020-01-01T00:00:00+07:00"));
        for (i, when) in purchases.iter().enumerate() {
            b.push_order(&purchase(&format!("O{i:02}"), "A", when, "1"));
        }
        let data = b.build().unwrap();
        let idx = data.customer_idx("A").unwrap();
        (data, idx)
    }

    #[test]
    fn gaps_of_exactly_7_30_365_days() {
        // Local midnight to local midnight, and across the day: local dates count.
        for (first, second, bucket) in [
            (
                "2026-01-01T00:00:00+07:00",
                "2026-01-08T00:00:00+07:00",
                CycleBucket::OneWeek,
            ),
            (
                "2026-01-01T23:59:59+07:00",
                "2026-01-08T00:00:00+07:00",
                CycleBucket::OneWeek,
            ),
            (
                "2026-01-01T00:00:00+07:00",
                "2026-01-07T23:59:59+07:00",
                CycleBucket::ThreeToSixDays,
            ),
            (
                "2026-01-01T10:00:00+07:00",
                "2026-01-31T10:00:00+07:00",
                CycleBucket::OneMonth,
            ),
            (
                "2026-01-01T10:00:00+07:00",
                "2026-01-30T10:00:00+07:00",
                CycleBucket::TwoWeeks,
            ),
            (
                "2025-01-01T10:00:00+07:00",
                "2026-01-01T10:00:00+07:00",
                CycleBucket::OneYearPlus,
            ),
            // 2024 is a leap year: 2024-01-01 to 2024-12-31 is 365 days.
            (
                "2024-01-01T10:00:00+07:00",
                "2024-12-31T10:00:00+07:00",
                CycleBucket::OneYearPlus,
            ),
            (
                "2024-01-01T10:00:00+07:00",
                "2024-12-30T10:00:00+07:00",
                CycleBucket::SixMonths,
            ),
        ] {
            let (data, idx) = one_buyer(&[first, second]);
            let summary = PurchaseSummary::of(&data, &context(), idx);
            assert_eq!(summary.gaps(bucket), 1, "{first} -> {second}");
            assert_eq!(summary.median_gap_bucket(), Some(bucket));
        }
    }

    #[test]
    fn same_day_and_same_instant_repeats_are_gap_zero() {
        let (data, idx) = one_buyer(&[
            "2026-03-01T10:00:00+07:00",
            "2026-03-01T10:00:00+07:00", // the same instant (docs/metrics.md#customer_picture)
            "2026-03-01T23:59:59+07:00",
        ]);
        let ctx = context();
        let summary = PurchaseSummary::of(&data, &ctx, idx);
        assert_eq!(summary.gaps(CycleBucket::SameDay), 2);
        assert_eq!(summary.median_gap_bucket(), Some(CycleBucket::SameDay));
        assert_eq!(gaps(&return_cycle(&data, &ctx))[0], 2);
    }

    #[test]
    fn gaps_are_in_local_dates() {
        // 16:30Z and 17:30Z on Mar 1 are 23:30 and 00:30 (Mar 2) in Vietnam.
        let (data, idx) = one_buyer(&["2026-03-01T16:30:00Z", "2026-03-01T17:30:00Z"]);
        let vn = PurchaseSummary::of(&data, &context(), idx);
        assert_eq!(vn.gaps(CycleBucket::OneDay), 1);
        let utc = ReportOptions::new(at("2026-11-15T10:00:00+07:00"))
            .time_zone("+00:00")
            .resolve()
            .unwrap();
        assert_eq!(
            PurchaseSummary::of(&data, &utc, idx).gaps(CycleBucket::SameDay),
            1
        );
    }

    #[test]
    fn lower_median_for_an_even_number_of_gaps() {
        // (purchase days in January 2026, expected bucket of the lower median)
        let cases: [(&[u32], CycleBucket); 5] = [
            // gaps 1, 10: lower median 1 (the upper would be 10)
            (&[1, 2, 12], CycleBucket::OneDay),
            // gaps 10, 1: the same multiset in another order
            (&[1, 11, 12], CycleBucket::OneDay),
            // gaps 0, 7, 30, 2: sorted 0, 2, 7, 30; rank (4-1)/2 = 1 -> 2
            (&[1, 1, 8, 38, 40], CycleBucket::TwoDays),
            // gaps 14, 3, 3, 20, 20, 20: sorted 3, 3, 14, 20, 20, 20; rank 2 -> 14
            (&[1, 15, 18, 21, 41, 61, 81], CycleBucket::TwoWeeks),
            // one gap of 3
            (&[1, 4], CycleBucket::ThreeToSixDays),
        ];
        for (days, bucket) in cases {
            let dates: Vec<String> = days
                .iter()
                .map(|day| {
                    let date = d("2025-12-31") + chrono::Days::new(u64::from(*day));
                    format!("{date}T10:00:00+07:00")
                })
                .collect();
            let refs: Vec<&str> = dates.iter().map(String::as_str).collect();
            let (data, idx) = one_buyer(&refs);
            let summary = PurchaseSummary::of(&data, &context(), idx);
            assert_eq!(summary.median_gap_bucket(), Some(bucket), "{days:?}");
            let rows = customer_cycle(&data, &context());
            assert_eq!(rows[bucket.index()].customers, 1, "{days:?}");
        }
    }

    #[test]
    fn fewer_than_two_purchases_have_no_cycle() {
        let ctx = context();
        let (none, idx) = one_buyer(&[]);
        let summary = PurchaseSummary::of(&none, &ctx, idx);
        assert_eq!(
            (summary.purchases(), summary.median_gap_bucket()),
            (0, None)
        );
        assert_eq!(summary.last_purchase_on(), None);
        assert_eq!(summary.spend().unwrap(), Decimal::ZERO);
        let (single, idx) = one_buyer(&["2026-03-01T10:00:00+07:00"]);
        let summary = PurchaseSummary::of(&single, &ctx, idx);
        assert_eq!(
            (summary.purchases(), summary.median_gap_bucket()),
            (1, None)
        );
        assert_eq!(summary.first_purchase_on(), Some(d("2026-03-01")));
        assert_eq!(summary.first_purchase_on(), summary.last_purchase_on());
        assert_eq!(cycle(&customer_cycle(&single, &ctx)), [0; 11]);
        assert_eq!(gaps(&return_cycle(&single, &ctx)), [0; 11]);
        // A second purchase after as_of is not a purchase yet.
        let (later, idx) = one_buyer(&["2026-03-01T10:00:00+07:00", "2026-12-01T10:00:00+07:00"]);
        assert_eq!(
            PurchaseSummary::of(&later, &ctx, idx).median_gap_bucket(),
            None
        );
    }

    #[test]
    fn feb_29_birthdays() {
        // (birth, today, age, group)
        let cases = [
            ("2008-02-29", "2026-02-28", 17, AgeGroup::Under18), // not yet in a non-leap year
            ("2008-02-29", "2026-03-01", 18, AgeGroup::From18To24), // counts on Mar 1
            ("2008-02-29", "2028-02-28", 19, AgeGroup::From18To24),
            ("2008-02-29", "2028-02-29", 20, AgeGroup::From18To24), // leap year: on the day
            ("2010-02-28", "2028-02-29", 18, AgeGroup::From18To24),
            ("2010-03-01", "2028-02-29", 17, AgeGroup::Under18),
            ("1971-02-28", "2026-02-28", 55, AgeGroup::From55),
            ("2026-02-28", "2026-02-28", 0, AgeGroup::Under18), // born today
        ];
        for (birth, today, age, group) in cases {
            let (birth, today) = (d(birth), d(today));
            assert_eq!(age_on(birth, today), Some(age), "{birth} on {today}");
            assert_eq!(
                AgeGroup::of(Some(birth), today),
                group,
                "{birth} on {today}"
            );
            assert_eq!(
                AgeTally::new(today).group(Some(birth)),
                group,
                "{birth} on {today}"
            );
        }
        // In the section: born 2008-02-29, counted under 18 on Feb 28, 18 on Mar 1.
        let mut b = Dataset::builder();
        b.push_customer(&Customer {
            birth_date: Some(d("2008-02-29")),
            ..customer("A", "2020-01-01T00:00:00+07:00")
        });
        let data = b.build().unwrap();
        let feb = age_groups(&data, &context_at("2026-02-28T23:59:59+07:00"));
        assert_eq!((feb.under_18, feb.age_18_24), (1, 0));
        let mar = age_groups(&data, &context_at("2026-03-01T00:00:00+07:00"));
        assert_eq!((mar.under_18, mar.age_18_24), (0, 1));
    }

    #[test]
    fn fast_age_groups_equal_age_on() {
        // Every birth date of 1967-2013 against today on month ends and leap days.
        let todays = [
            "2026-02-28",
            "2026-03-01",
            "2028-02-29",
            "2028-03-01",
            "2026-12-31",
            "2025-01-01",
        ];
        for today in todays.map(d) {
            let tally = AgeTally::new(today);
            let mut birth = d("1967-01-01");
            while birth <= d("2013-12-31") {
                assert_eq!(
                    tally.group(Some(birth)),
                    AgeGroup::of(Some(birth), today),
                    "{birth} {today}"
                );
                birth = birth.succ_opt().unwrap();
            }
        }
    }

    #[test]
    fn a_customer_created_after_as_of_does_not_exist() {
        let mut b = Dataset::builder();
        b.push_customer(&customer("A", "2026-11-15T10:00:01+07:00")); // a second after as_of
        b.push_order(&purchase("1", "A", "2026-11-01T10:00:00+07:00", "5"));
        let data = b.build().unwrap();
        let ctx = context();
        let s = section(&data, &ctx).unwrap();
        assert_eq!(
            (s.total_customers, s.invoices, s.total_spend),
            (0, 0, Decimal::ZERO)
        );
        assert_eq!(s.avg_invoice, None);
        assert_eq!(s.new_today, Comparison::counts(0, 0));
        assert_eq!(s.spend_levels.iter().map(|r| r.customers).sum::<u64>(), 0);
        assert_eq!(s.connections.sms.rate, None);
        assert_eq!(s.visit_groups[0].customer_share, None);
        assert_eq!(s.visit_groups[0].revenue_share, None);
        let idx = data.customer_idx("A").unwrap();
        assert_eq!(PurchaseSummary::of(&data, &ctx, idx).purchases(), 0);
        // At exactly its created_at it exists (docs/metrics.md#time), with its earlier purchase.
        let later = context_at("2026-11-15T10:00:01+07:00");
        let s = section(&data, &later).unwrap();
        assert_eq!(
            (s.total_customers, s.invoices, s.new_today.current),
            (1, 1, 1)
        );
    }

    #[test]
    fn free_purchases_give_a_null_revenue_share() {
        let (data, _) = one_buyer(&[]);
        let mut b = Dataset::builder();
        b.push_customer(&customer("A", "2020-01-01T00:00:00+07:00"));
        b.push_order(&purchase("1", "A", "2026-01-01T00:00:00+07:00", "0"));
        let free = b.build().unwrap();
        let ctx = context();
        let rows = visit_groups(&free, &ctx).unwrap();
        assert_eq!(rows[0].customer_share, Some(Decimal::ONE));
        assert_eq!(
            (rows[0].revenue, rows[0].revenue_share),
            (Decimal::ZERO, None)
        );
        // Spent 0: in the first edge row, not "none".
        let levels = spend_levels(&free, &ctx, &DEFAULT_SPEND_EDGES).unwrap();
        assert_eq!((levels[0].customers, levels[1].customers), (0, 1));
        let levels = spend_levels(&data, &ctx, &DEFAULT_SPEND_EDGES).unwrap();
        assert_eq!(levels[0].customers, 1);
    }

    #[test]
    fn spend_level_edges_are_validated_and_labelled() {
        let (data, ctx) = (shop(), context());
        let bad: [&[Decimal]; 4] = [
            &[],
            &[Decimal::ONE],
            &[Decimal::ZERO, Decimal::ZERO],
            &[Decimal::ZERO, Decimal::TEN, Decimal::ONE],
        ];
        for edges in bad {
            assert!(matches!(
                spend_levels(&data, &ctx, edges),
                Err(Error::InvalidSpendLevels { .. })
            ));
            assert!(
                Partial::with_context(&ctx, &PictureOptions::default().spend_edges(edges.to_vec()))
                    .is_err()
            );
        }
        // One edge: none / 0+. Trailing zeros print normalized; decimals stay.
        let rows = spend_levels(&data, &ctx, &[dec("0.00")]).unwrap();
        let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["none", "0+"]);
        assert_eq!((rows[1].customers, rows[1].max), (4, None));
        let rows = spend_levels(
            &data,
            &ctx,
            &[dec("-1"), dec("499999.5"), dec("2000000.000")],
        )
        .unwrap();
        let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(
            labels,
            ["none", "-1-499999.5", "499999.5-2000000", "2000000+"]
        );
        // A 200000; F 499999.5 (on the edge); B 2000000 (on the edge) and C 10000000.
        let counts: Vec<u64> = rows.iter().map(|r| r.customers).collect();
        assert_eq!(counts, [2, 1, 1, 2]);
    }

    #[test]
    fn spend_frequency_counts_the_period_only() {
        let data = shop();
        // October 2026: nobody bought (C starts on Nov 1).
        let october = ReportOptions::new(at("2026-11-15T10:00:00+07:00"))
            .period(Preset::LastMonth)
            .resolve()
            .unwrap();
        let rows = spend_frequency(&data, &october);
        assert_eq!(rows.iter().map(|r| r.customers).sum::<u64>(), 0);
        // This year: A 4, B 1 (2026-01-01), C 5, F 1.
        let year = ReportOptions::new(at("2026-11-15T10:00:00+07:00"))
            .period(Preset::ThisYear)
            .resolve()
            .unwrap();
        let rows: Vec<u64> = spend_frequency(&data, &year)
            .iter()
            .map(|r| r.customers)
            .collect();
        assert_eq!(rows, [2, 0, 0, 1, 1]);
        // The period does not change any other metric of the section.
        let this_month = section(&data, &context()).unwrap();
        let mut this_year = section(&data, &year).unwrap();
        assert_ne!(this_month.spend_frequency, this_year.spend_frequency);
        this_year.spend_frequency = this_month.spend_frequency;
        assert_eq!(this_month, this_year);
    }

    #[test]
    fn raw_comparisons_equal_decimal_comparisons() {
        // (a, b) pairs across scales, signs and the i128 range.
        let values = [
            "0",
            "0.00",
            "1",
            "0.5",
            "499999.5",
            "500000",
            "500000.00",
            "500000.001",
            "-1",
            "-0.5",
            "10000000",
            "9999999.99",
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
            "0.0000000000000000000000000001",
            "7922816251426433759354395033.5",
        ];
        for a in values.map(dec) {
            for b in values.map(dec) {
                let raw = |d: Decimal| (d.mantissa(), d.scale());
                assert_eq!(cmp_scaled(raw(a), raw(b)), a.cmp(&b), "{a} vs {b}");
            }
        }
        // Beyond Decimal: a sum mantissa near i128::MAX at scale 0 against 0.5.
        assert!(cmp_scaled((i128::MAX, 0), (5, 1)).is_gt());
        assert!(cmp_scaled((i128::MIN + 1, 0), (5, 1)).is_lt());
        assert!(cmp_scaled((5, 1), (i128::MAX, 0)).is_lt());
        assert_eq!(POW10[38], 10i128.pow(38));
    }

    #[test]
    fn labels_round_trip() {
        fn check<T: Copy + PartialEq + fmt::Debug + FromStr + fmt::Display>(all: &[T]) {
            for value in all {
                let text = value.to_string();
                assert_eq!(text.parse::<T>().ok(), Some(*value), "{text}");
            }
        }
        check(&CycleBucket::ALL);
        check(&AgeGroup::ALL);
        check(&Visits::ALL);
        check(&PeriodPurchases::ALL);
        assert!("1 week".parse::<CycleBucket>().is_err());
        let labels: Vec<&str> = CycleBucket::ALL.iter().map(|b| b.label()).collect();
        assert_eq!(
            labels,
            [
                "same_day",
                "1_day",
                "2_days",
                "3_6_days",
                "1_week",
                "2_weeks",
                "1_month",
                "2_months",
                "3_months",
                "6_months",
                "1_year_plus",
            ]
        );
        let ages: Vec<&str> = AgeGroup::ALL.iter().map(|a| a.label()).collect();
        assert_eq!(
            ages,
            [
                "under_18", "18_24", "25_34", "35_44", "45_54", "55_plus", "unknown"
            ]
        );
    }

    #[test]
    fn json_shape_follows_spec() {
        let s = section(&shop(), &context()).unwrap();
        let text = serde_json::to_string(&s).unwrap();
        crate::customers::tests::assert_key_order(
            &text,
            &[
                "total_customers",
                "new_today",
                "new_this_week",
                "new_this_month",
                "total_spend",
                "invoices",
                "avg_invoice",
                "voucher_customers",
                "visit_groups",
                "gender",
                "age_groups",
                "spend_levels",
                "connections",
                "return_cycle",
                "customer_cycle",
                "spend_frequency",
            ],
        );
        crate::customers::tests::assert_key_order(
            &text,
            &[
                "visits",
                "customers",
                "customer_share",
                "revenue",
                "revenue_share",
            ],
        );
        let levels = &text[text.find("\"spend_levels\"").unwrap()..];
        crate::customers::tests::assert_key_order(levels, &["min", "max", "label", "customers"]);
        crate::customers::tests::assert_key_order(&text, &["sms", "zalo", "facebook"]);
        let ages = &text[text.find("\"age_groups\"").unwrap()..];
        crate::customers::tests::assert_key_order(
            ages,
            &[
                "under_18", "18_24", "25_34", "35_44", "45_54", "55_plus", "unknown",
            ],
        );
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["total_spend"], "12699999.5");
        assert_eq!(json["visit_groups"][2]["visits"], "3+");
        assert_eq!(json["visit_groups"][0]["customer_share"], "0.25");
        assert_eq!(json["spend_levels"][0]["min"], serde_json::Value::Null);
        assert_eq!(json["spend_levels"][1]["max"], "500000");
        assert_eq!(json["spend_levels"][5]["max"], serde_json::Value::Null);
        assert_eq!(json["return_cycle"][3]["bucket"], "3_6_days");
        assert_eq!(json["customer_cycle"][10]["bucket"], "1_year_plus");
        assert_eq!(json["spend_frequency"][4]["purchases"], "5+");
        assert_eq!(json["age_groups"]["18_24"], 2);
        assert_eq!(json["connections"]["zalo"]["customers"], 1);
    }
}
