//! The `customers` section (docs/metrics.md#customers), the customer dashboard (S0, GAPONE): how
//! many customers there are, how many arrive and from where, who talks to the Zalo OA, and who
//! stopped buying.
//!
//! [`section`] builds the whole section in one pass over the customers that exist at
//! `as_of`; each metric also has its own function ([`avg_spend_per_customer`],
//! [`dormant_customers`] with any list of months, [`new_customers_daily`], …) for a
//! service that wants one number. All of them are folds over customers
//! ([`Partial`] is the section's [`Fold`]): each customer is read once, with all its
//! orders front to back, and partial states merge exactly.
//!
//! [`PurchaseSummary`], one customer's purchases (docs/metrics.md#conventions) summarized in one
//! pass, is shared with the customer picture and lives in [`crate::fold`]; it is re-exported
//! here.
//!
//! # Existence and purchases (docs/metrics.md#conventions, docs/metrics.md#which-rows-count)
//! * A customer exists from its `created_at`: only customers with `created_at <= as_of`
//!   are counted anywhere.
//! * A purchase is a `completed` order with `created_at <= as_of`, even when it is dated
//!   before its customer's `created_at` (synced history). Purchases are ordered by
//!   `(created_at, id)`, the order the dataset keeps each customer's orders in.
//! * Events after `as_of` change nothing.
//!
//! # Examples
//! The examples build tiny datasets with the model's constructors:
//! [`Customer::new`](crate::model::Customer::new) (id, `created_at`, source) and
//! [`Order::new`](crate::model::Order::new) (id, customer id, `created_at`, status,
//! total), with setters for the optional fields (`.phone(..)`, `.voucher_code(..)`, …).
//! `at` parses an RFC 3339 instant with its offset into UTC.

use std::ops::Range;

pub use crate::fold::PurchaseSummary;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::calendar::{Ts, epoch_day, sub_months};
use crate::dataset::{Contacts, CustomerIdx, CustomerRow, Dataset};
use crate::error::Result;
use crate::fold::tally::{Facts, SpendTally, Tally, TallyFold, run, run_range};
use crate::fold::{Fold, Section, fold_customers};
use crate::model::{Channel, Source};
use crate::money::Comparison;
use crate::options::Context;
use crate::options::ReportOptions;

/// Number of customer sources (docs/input-format.md#enumerations).
const SOURCES: usize = Source::ALL.len();

/// The months of `dormant_customers` (docs/metrics.md#customers).
pub const DORMANT_MONTHS: [u32; 4] = [1, 3, 6, 12];

// ---------------------------------------------------------------------------------------
// The section
// ---------------------------------------------------------------------------------------

/// `customers` (docs/metrics.md#customers): the customer dashboard. Keys serialize in the
/// documented order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomersSection {
    /// Customers with `created_at <= as_of` (no period). See [`total_customers`].
    pub total_customers: u64,
    /// Spend of all purchases over customers with a purchase; `None` when nobody
    /// bought. See [`avg_spend_per_customer`].
    pub avg_spend_per_customer: Option<Decimal>,
    /// Customers created in the period against the previous period. See
    /// [`new_customers`].
    pub new_customers: Comparison<u64>,
    /// The same, for synced and imported sources. See [`new_customers_by_group`].
    pub new_customers_by_group: NewCustomersByGroup,
    /// The same, for every source. See [`new_customers_by_source`].
    pub new_customers_by_source: BySource<Comparison<u64>>,
    /// Distinct customers with an inbound Zalo interaction in the period. See
    /// [`zalo_oa_customers`].
    pub zalo_oa_customers: Comparison<u64>,
    /// New customers from `webpush` or `form`. See [`webpush_form_customers`].
    pub webpush_form_customers: Comparison<u64>,
    /// Contacts of the current ones. See [`webpush_form_contacts`].
    pub webpush_form_contacts: WebpushFormContacts,
    /// Customers without a purchase for 1, 3, 6, 12 months, and those who never
    /// bought. See [`dormant_customers`].
    pub dormant_customers: DormantCustomers,
    /// New customers per local date of the period. See [`new_customers_daily`].
    pub new_customers_daily: Vec<NewCustomersDay>,
}

/// `new_customers_by_group` (docs/metrics.md#customers): new customers from synced sources
/// (haravan, shopee, lazada, other_oms) and imported ones (excel_import, manual).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCustomersByGroup {
    /// [`Source::is_synced`].
    pub synced: Comparison<u64>,
    /// [`Source::is_imported`].
    pub imported: Comparison<u64>,
}

/// `webpush_form_contacts` (docs/metrics.md#customers), counted inclusively.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebpushFormContacts {
    /// Has a phone (with or without an e-mail).
    pub with_phone: u64,
    /// Has an e-mail (with or without a phone).
    pub with_email: u64,
    /// Has both.
    pub with_both: u64,
}

/// `dormant_customers` (docs/metrics.md#customers): keys `"1"`, `"3"`, `"6"`, `"12"`,
/// `"never_ordered"`.
///
/// Cumulative: every customer counted in `months_12` is also in `months_6`, `months_3`
/// and `months_1`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DormantCustomers {
    /// Last purchase before `today - 1 month`.
    #[serde(rename = "1")]
    pub months_1: u64,
    /// Last purchase before `today - 3 months`.
    #[serde(rename = "3")]
    pub months_3: u64,
    /// Last purchase before `today - 6 months`.
    #[serde(rename = "6")]
    pub months_6: u64,
    /// Last purchase before `today - 12 months`.
    #[serde(rename = "12")]
    pub months_12: u64,
    /// Existing customers without any purchase.
    pub never_ordered: u64,
}

/// One row of `new_customers_daily` (docs/metrics.md#customers).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCustomersDay {
    /// The local date.
    pub date: NaiveDate,
    /// Customers created that day (up to `as_of`).
    pub total: u64,
    /// The same by source; serializes only the non-zero sources, in the order of
    /// docs/input-format.md#enumerations.
    pub by_source: SourceCounts,
}

/// A value for every customer source, in the order of docs/input-format.md#enumerations. Serializes
/// as an object with **every** source as key (docs/metrics.md#customers `new_customers_by_source`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BySource<T>(pub [T; SOURCES]);

impl<T> BySource<T> {
    /// The value of one source.
    pub fn get(&self, source: Source) -> &T {
        // OK because Source::index() < Source::ALL.len() == SOURCES.
        &self.0[source.index()]
    }

    /// `(source, value)` pairs in the order of docs/input-format.md#enumerations.
    pub fn iter(&self) -> impl Iterator<Item = (Source, &T)> {
        Source::ALL.iter().copied().zip(self.0.iter())
    }
}

impl<T: Serialize> Serialize for BySource<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(SOURCES))?;
        for (source, value) in self.iter() {
            map.serialize_entry(source.name(), value)?;
        }
        map.end()
    }
}

/// Counts per customer source. Serializes as an object of the **non-zero** sources only,
/// in the order of docs/input-format.md#enumerations (docs/metrics.md#customers
/// `new_customers_daily.by_source`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SourceCounts(pub [u64; SOURCES]);

impl SourceCounts {
    /// The count of one source.
    pub fn get(&self, source: Source) -> u64 {
        // OK because Source::index() < SOURCES.
        self.0[source.index()]
    }

    /// The non-zero `(source, count)` pairs in the order of docs/input-format.md#enumerations.
    pub fn non_zero(&self) -> impl Iterator<Item = (Source, u64)> + '_ {
        Source::ALL
            .iter()
            .copied()
            .zip(self.0.iter().copied())
            .filter(|(_, n)| *n > 0)
    }
}

impl Serialize for SourceCounts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (source, count) in self.non_zero() {
            map.serialize_entry(source.name(), &count)?;
        }
        map.end()
    }
}

/// The source of a JSON key, as [`Source`]'s `FromStr` reads it.
fn source_key<E: serde::de::Error>(key: &str) -> Result<Source, E> {
    key.parse::<Source>()
        .map_err(|_| E::custom(format_args!("unknown customer source `{key}`")))
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for BySource<T> {
    /// From an object with every source as key, as it serializes; a missing or unknown
    /// source is an error.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<BySource<T>, D::Error> {
        let map = std::collections::BTreeMap::<String, T>::deserialize(deserializer)?;
        let mut values: [Option<T>; SOURCES] = std::array::from_fn(|_| None);
        for (key, value) in map {
            let source = source_key::<D::Error>(&key)?;
            if let Some(slot) = values.get_mut(source.index()) {
                *slot = Some(value);
            }
        }
        let missing = || serde::de::Error::custom("a customer source is missing");
        let values: Vec<T> = values
            .into_iter()
            .collect::<Option<_>>()
            .ok_or_else(missing)?;
        let values: [T; SOURCES] = values.try_into().map_err(|_| missing())?;
        Ok(BySource(values))
    }
}

impl<'de> Deserialize<'de> for SourceCounts {
    /// From an object of sources to counts; missing sources count 0, an unknown source
    /// is an error.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<SourceCounts, D::Error> {
        let map = std::collections::BTreeMap::<String, u64>::deserialize(deserializer)?;
        let mut counts = SourceCounts::default();
        for (key, count) in map {
            let source = source_key::<D::Error>(&key)?;
            if let Some(slot) = counts.0.get_mut(source.index()) {
                *slot = count;
            }
        }
        Ok(SourceCounts(counts.0))
    }
}

/// Computes `customers` (docs/metrics.md#customers) in one fold over the customers that exist at
/// `as_of`.
///
/// Every field is described at its own function; see [`CustomersSection`].
///
/// # Errors
/// [`Error::Overflow`](crate::Error::Overflow) naming
/// `customers.avg_spend_per_customer` when the spend of all purchases does not fit in a
/// decimal.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, customers, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(300).seed(3).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let section = customers::section(&dataset, &context)?;
/// let d = section.dormant_customers;
/// assert!(d.months_12 <= d.months_6 && d.months_6 <= d.months_3 && d.months_3 <= d.months_1);
/// assert_eq!(section.new_customers_daily.len(), 30); // November
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn section(dataset: &Dataset, context: &Context) -> Result<CustomersSection> {
    let existing = dataset.existing(context.as_of_ts);
    let empty = Partial::with_context(context);
    fold_customers(dataset, 0..existing, || empty.clone())?.finish()
}

/// The partial state of the `customers` section over a shard of customers: a [`Fold`]
/// whose [`merge`](Fold::merge) is exact, so any split of the customers into shards
/// (each customer with all its rows) merges into exactly [`section`]'s result.
///
/// Owned and keyed by the input's own values (sources are [`Source`]s, days are dates of
/// the period); with the `serde` feature it serializes, so shards computed elsewhere
/// merge too. A customer created after `as_of`, or an index outside the dataset, adds
/// nothing: folding every customer of the dataset is right at any `as_of`.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::fold::{Fold, fold_shard};
/// use crm_metrics::customers::{Partial, section};
/// use crm_metrics::{CustomerIdx, ReportOptions, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(200).seed(5).as_of(as_of).dataset()?;
/// let options = ReportOptions::new(as_of);
/// // Every customer, also those created after as_of: they add nothing.
/// let all: Vec<CustomerIdx> = dataset.customer_indices().collect();
/// let (odd, even): (Vec<_>, Vec<_>) = all.iter().partition(|c| c.index() % 2 == 1);
/// let mut left = Partial::new(&options)?;
/// fold_shard(&mut left, &dataset, odd);
/// let mut right = Partial::new(&options)?;
/// fold_shard(&mut right, &dataset, even);
/// left.merge(right)?;
/// assert_eq!(left.finish()?, section(&dataset, &options.resolve()?)?);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Partial(TallyFold<CustomersTally>);

impl Partial {
    /// An empty partial state for the report resolved as `context`.
    pub fn with_context(context: &Context) -> Partial {
        Partial(TallyFold::new(context, CustomersTally::new(context)))
    }

    /// The context the state was made in.
    pub fn context(&self) -> &Context {
        self.0.context()
    }
}

impl Fold for Partial {
    type Output = CustomersSection;

    fn new(options: &ReportOptions) -> Result<Partial> {
        Ok(Partial::with_context(&options.resolve()?))
    }

    #[inline]
    fn add_customer(&mut self, dataset: &Dataset, customer: CustomerIdx) {
        self.0.add_customer(dataset, customer);
    }

    fn merge(&mut self, other: Partial) -> Result<()> {
        self.0.merge(other.0, Partial::NAME)
    }

    fn finish(self) -> Result<CustomersSection> {
        self.0.finish()
    }
}

impl Section for Partial {
    const NAME: &'static str = "customers";
}

/// Every metric of the section, fed by one purchase scan per customer.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct CustomersTally {
    spend: SpendTally,
    new: NewTally,
    zalo: ZaloTally,
    dormant: DormantTally,
    daily: DailyTally,
}

impl CustomersTally {
    pub(crate) fn new(context: &Context) -> CustomersTally {
        CustomersTally {
            spend: SpendTally::default(),
            new: NewTally::new(context),
            zalo: ZaloTally::new(context),
            dormant: DormantTally::new(context, &DORMANT_MONTHS),
            daily: DailyTally::default(),
        }
    }
}

impl Tally for CustomersTally {
    const PURCHASES: bool = true;
    type Output = CustomersSection;

    #[inline]
    fn add(&mut self, dataset: &Dataset, context: &Context, facts: &Facts<'_>) {
        self.spend.add(dataset, context, facts);
        self.new.add(dataset, context, facts);
        self.zalo.add(dataset, context, facts);
        self.dormant.add(dataset, context, facts);
        self.daily.add(dataset, context, facts);
    }

    fn merge(&mut self, other: CustomersTally) {
        self.spend.merge(other.spend);
        self.new.merge(other.new);
        self.zalo.merge(other.zalo);
        self.dormant.merge(other.dormant);
        self.daily.merge(other.daily);
    }

    fn finish(self, context: &Context) -> Result<CustomersSection> {
        let spend = self.spend;
        let new = self.new.finish(context)?;
        let dormant = self.dormant.finish(context)?;
        let months = |i: usize| dormant.counts.get(i).copied().unwrap_or(0);
        Ok(CustomersSection {
            total_customers: spend.customers,
            avg_spend_per_customer: spend.avg_spend_per_customer()?,
            new_customers: new.total(),
            new_customers_by_group: new.by_group(),
            new_customers_by_source: new.by_source(),
            zalo_oa_customers: self.zalo.finish(context)?,
            webpush_form_customers: new.webpush_form(),
            webpush_form_contacts: new.contacts,
            dormant_customers: DormantCustomers {
                months_1: months(0),
                months_3: months(1),
                months_6: months(2),
                months_12: months(3),
                never_ordered: dormant.never_ordered,
            },
            new_customers_daily: self.daily.finish(context)?,
        })
    }
}

// ---------------------------------------------------------------------------------------
// One metric at a time
// ---------------------------------------------------------------------------------------

/// `total_customers` (docs/metrics.md#customers; also in docs/metrics.md#customer_picture):
/// `count(customers with created_at <= as_of)`.
///
/// No period applies. `O(log n)`: customers are indexed in creation order.
///
/// # Edge cases
/// * Customers created after `as_of` do not exist yet and are not counted.
/// * A customer counts whether or not it ever bought.
///
/// # Example
/// ```
/// use chrono::{DateTime, Utc};
/// use crm_metrics::customers::total_customers;
/// use crm_metrics::model::{Customer, Source};
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let at = |text: &str| text.parse::<DateTime<Utc>>();
/// let mut shop = DatasetBuilder::new();
/// shop.push_customer(&Customer::new("KH1", at("2026-01-05T10:00:00+07:00")?, Source::Pos));
/// // after as_of
/// shop.push_customer(&Customer::new("KH2", at("2026-12-01T10:00:00+07:00")?, Source::Pos));
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")?).resolve()?;
/// assert_eq!(total_customers(&dataset, &context), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn total_customers(dataset: &Dataset, context: &Context) -> u64 {
    dataset.existing(context.as_of_ts) as u64
}

/// `avg_spend_per_customer` (docs/metrics.md#customers):
/// `sum(total of every purchase) / count(customers with at least one purchase)`.
///
/// **Decision** (docs/metrics.md#customers): spend is over purchases (completed orders), not all
/// orders, so that cancelled and failed orders do not inflate it.
///
/// # Edge cases
/// * No customer with a purchase: `Ok(None)` (JSON `null`), never `0`.
/// * A single purchase of one customer: that purchase's total.
/// * Customers without a purchase are not in the denominator.
/// * Orders after `as_of`, and customers created after it, are ignored; a purchase dated
///   before its customer's `created_at` counts (docs/metrics.md#which-rows-count).
///
/// # Errors
/// [`Error::Overflow`](crate::Error::Overflow) naming `customers.avg_spend_per_customer`
/// when the spend of all purchases does not fit in a decimal.
///
/// # Example
/// ```
/// use chrono::{DateTime, Utc};
/// use rust_decimal::Decimal;
/// use crm_metrics::customers::avg_spend_per_customer;
/// use crm_metrics::model::{Customer, Order, OrderStatus, Source};
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let at = |text: &str| text.parse::<DateTime<Utc>>();
/// let mut shop = DatasetBuilder::new();
/// shop.push_customer(&Customer::new("KH1", at("2026-01-05T10:00:00+07:00")?, Source::Pos));
/// shop.push_customer(&Customer::new("KH2", at("2026-01-06T10:00:00+07:00")?, Source::Pos));
/// // never buys
/// shop.push_customer(&Customer::new("KH3", at("2026-01-07T10:00:00+07:00")?, Source::Pos));
/// shop.push_order(&Order::new("DH1", "KH1", at("2026-02-01T10:00:00+07:00")?,
///     OrderStatus::Completed, Decimal::from(100_000)));
/// shop.push_order(&Order::new("DH2", "KH1", at("2026-03-01T10:00:00+07:00")?,
///     OrderStatus::Completed, Decimal::from(200_000)));
/// shop.push_order(&Order::new("DH3", "KH2", at("2026-03-02T10:00:00+07:00")?,
///     OrderStatus::Completed, Decimal::from(600_000)));
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")?).resolve()?;
/// // (100000 + 200000 + 600000) / 2 buyers
/// assert_eq!(avg_spend_per_customer(&dataset, &context)?, Some(Decimal::from(450_000)));
///
/// // Before the first purchase nobody has bought: undefined, not 0.
/// let before = ReportOptions::new(at("2026-01-31T10:00:00+07:00")?).resolve()?;
/// assert_eq!(avg_spend_per_customer(&dataset, &before)?, None);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn avg_spend_per_customer(dataset: &Dataset, context: &Context) -> Result<Option<Decimal>> {
    run(dataset, context, SpendTally::default())?.avg_spend_per_customer()
}

/// `new_customers` (docs/metrics.md#customers): `count(customers with created_at in the period)`,
/// against the previous period.
///
/// # Edge cases
/// * "In the period" also means `<= as_of` (docs/metrics.md#conventions): customers created later
///   today are not new yet.
/// * `delta` is `None` when the previous period had none.
///
/// # Example
/// ```
/// use chrono::{DateTime, Utc};
/// use rust_decimal::Decimal;
/// use crm_metrics::customers::new_customers;
/// use crm_metrics::model::{Customer, Source};
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let at = |text: &str| text.parse::<DateTime<Utc>>();
/// let mut shop = DatasetBuilder::new();
/// // October
/// shop.push_customer(&Customer::new("KH1", at("2026-10-05T10:00:00+07:00")?, Source::Pos));
/// // November
/// shop.push_customer(&Customer::new("KH2", at("2026-11-02T10:00:00+07:00")?, Source::Pos));
/// shop.push_customer(&Customer::new("KH3", at("2026-11-03T10:00:00+07:00")?, Source::Pos));
/// // after as_of
/// shop.push_customer(&Customer::new("KH4", at("2026-11-20T10:00:00+07:00")?, Source::Pos));
/// let dataset = shop.build()?;
/// // this_month (the default): November against October.
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")?).resolve()?;
/// let new = new_customers(&dataset, &context);
/// assert_eq!((new.current, new.previous, new.delta), (2, 1, Some(Decimal::ONE))); // (2 - 1) / 1
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn new_customers(dataset: &Dataset, context: &Context) -> Comparison<u64> {
    new_tally(dataset, context).total()
}

/// `new_customers_by_group` (docs/metrics.md#customers): [`new_customers`] of synced sources
/// (haravan, shopee, lazada, other_oms) and of imported ones (excel_import, manual).
///
/// # Edge cases
/// * Other sources are in neither group.
/// * `delta` is `None` when the group had no new customer in the previous period.
///
/// # Example
/// ```
/// use chrono::{DateTime, Utc};
/// use crm_metrics::customers::new_customers_by_group;
/// use crm_metrics::model::{Customer, Source};
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let at = |text: &str| text.parse::<DateTime<Utc>>();
/// let mut shop = DatasetBuilder::new();
/// let created = at("2026-11-02T10:00:00+07:00")?;
/// shop.push_customer(&Customer::new("KH1", created, Source::Shopee));
/// shop.push_customer(&Customer::new("KH2", created, Source::Manual));
/// shop.push_customer(&Customer::new("KH3", created, Source::Pos)); // neither group
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")?).resolve()?;
/// let groups = new_customers_by_group(&dataset, &context);
/// assert_eq!((groups.synced.current, groups.imported.current), (1, 1));
/// assert_eq!(groups.synced.delta, None); // nobody in October
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn new_customers_by_group(dataset: &Dataset, context: &Context) -> NewCustomersByGroup {
    new_tally(dataset, context).by_group()
}

/// `new_customers_by_source` (docs/metrics.md#customers): [`new_customers`] for **every** customer
/// source (docs/input-format.md#enumerations), in the documented order.
///
/// # Edge cases
/// * A source without new customers in either period is present with `0`, `0`, `None`.
///
/// # Example
/// ```
/// use chrono::{DateTime, Utc};
/// use crm_metrics::customers::new_customers_by_source;
/// use crm_metrics::model::{Customer, Source};
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let at = |text: &str| text.parse::<DateTime<Utc>>();
/// let mut shop = DatasetBuilder::new();
/// shop.push_customer(&Customer::new("KH1", at("2026-11-02T10:00:00+07:00")?, Source::Pos)); // pos
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")?).resolve()?;
/// let by_source = new_customers_by_source(&dataset, &context);
/// assert_eq!(by_source.get(Source::Pos).current, 1);
/// assert_eq!(by_source.get(Source::Haravan).current, 0);
/// assert_eq!(by_source.iter().count(), 11); // every source
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn new_customers_by_source(dataset: &Dataset, context: &Context) -> BySource<Comparison<u64>> {
    new_tally(dataset, context).by_source()
}

/// `zalo_oa_customers` (docs/metrics.md#customers):
/// `count(distinct customers with an inbound interaction on channel zalo in the period)`, against
/// the previous period.
///
/// # Edge cases
/// * Any kind counts (message, follow, survey response, …); outbound ones do not.
/// * A customer with several such interactions counts once per period.
/// * Interactions after `as_of` are ignored, and so are the interactions of customers
///   created after `as_of` (docs/metrics.md#which-rows-count).
///
/// # Example
/// ```
/// use chrono::{DateTime, Utc};
/// use crm_metrics::customers::zalo_oa_customers;
/// use crm_metrics::model::{Channel, Customer, Direction, Interaction, InteractionKind, Source};
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let at = |text: &str| text.parse::<DateTime<Utc>>();
/// let mut shop = DatasetBuilder::new();
/// shop.push_customer(&Customer::new("KH1", at("2026-01-05T10:00:00+07:00")?, Source::Pos));
/// for (id, when) in [
///     ("TT1", "2026-11-02T10:00:00+07:00"),
///     ("TT2", "2026-11-03T10:00:00+07:00"), // same customer
///     ("TT3", "2026-11-20T10:00:00+07:00"), // after as_of
/// ] {
///     shop.push_interaction(&Interaction::new(
///         id, "KH1", at(when)?, Channel::Zalo, InteractionKind::Follow, Direction::Inbound,
///     ));
/// }
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")?).resolve()?;
/// let zalo = zalo_oa_customers(&dataset, &context);
/// assert_eq!((zalo.current, zalo.previous, zalo.delta), (1, 0, None));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn zalo_oa_customers(dataset: &Dataset, context: &Context) -> Comparison<u64> {
    let counts = run(dataset, context, ZaloTally::new(context));
    // OK because ZaloTally::finish never fails.
    counts.unwrap_or_else(|_| Comparison::counts(0, 0))
}

/// `webpush_form_customers` (docs/metrics.md#customers): [`new_customers`] whose source is
/// `webpush` or `form`.
///
/// # Edge cases
/// * `delta` is `None` when the previous period had none.
///
/// # Example
/// ```
/// use chrono::{DateTime, Utc};
/// use crm_metrics::customers::webpush_form_customers;
/// use crm_metrics::model::{Customer, Source};
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let at = |text: &str| text.parse::<DateTime<Utc>>();
/// let mut shop = DatasetBuilder::new();
/// shop.push_customer(&Customer::new("KH1", at("2026-10-02T10:00:00+07:00")?, Source::Form));
/// shop.push_customer(&Customer::new("KH2", at("2026-11-02T10:00:00+07:00")?, Source::Webpush));
/// shop.push_customer(&Customer::new("KH3", at("2026-11-03T10:00:00+07:00")?, Source::Form));
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")?).resolve()?;
/// let web = webpush_form_customers(&dataset, &context);
/// assert_eq!((web.current, web.previous), (2, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn webpush_form_customers(dataset: &Dataset, context: &Context) -> Comparison<u64> {
    new_tally(dataset, context).webpush_form()
}

/// `webpush_form_contacts` (docs/metrics.md#customers): of the new customers of the period whose
/// source is `webpush` or `form`, those with a phone, with an e-mail, and with both.
///
/// Counted inclusively (docs/metrics.md#customers): `with_phone` = has a phone, with or without an
/// e-mail; `with_email` likewise; `with_both` = has both.
///
/// # Edge cases
/// * Only the current period; customers from other sources are not counted.
/// * No such customer: all three are `0`.
///
/// # Example
/// ```
/// use chrono::{DateTime, Utc};
/// use crm_metrics::customers::webpush_form_contacts;
/// use crm_metrics::model::{Customer, Source};
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let at = |text: &str| text.parse::<DateTime<Utc>>();
/// let mut shop = DatasetBuilder::new();
/// let created = at("2026-11-02T10:00:00+07:00")?;
/// shop.push_customer(&Customer::new("KH1", created, Source::Form).phone("0901").email("a@b.vn"));
/// shop.push_customer(&Customer::new("KH2", created, Source::Webpush).phone("0902"));
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")?).resolve()?;
/// let contacts = webpush_form_contacts(&dataset, &context);
/// assert_eq!((contacts.with_phone, contacts.with_email, contacts.with_both), (2, 1, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn webpush_form_contacts(dataset: &Dataset, context: &Context) -> WebpushFormContacts {
    new_tally(dataset, context).contacts
}

/// `dormant_customers` (docs/metrics.md#customers), the report's field: months 1, 3, 6 and 12, and
/// `never_ordered`, in one pass (see [`dormant_customers`] and [`never_ordered`] for
/// the formulas and edge cases).
///
/// Cost: one read of a small per-customer record per existing customer (the dataset
/// keeps each customer's purchase totals), unless a customer has purchases after
/// `as_of`, whose orders are then read.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::customers::{dormant, dormant_customers, never_ordered};
/// use crm_metrics::{ReportOptions, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(300).seed(2).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let all = dormant(&dataset, &context);
/// assert_eq!(vec![all.months_1, all.months_3, all.months_6, all.months_12],
///            dormant_customers(&dataset, &context, &[1, 3, 6, 12]));
/// assert_eq!(all.never_ordered, never_ordered(&dataset, &context));
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn dormant(dataset: &Dataset, context: &Context) -> DormantCustomers {
    let empty = DormantTally::new(context, &DORMANT_MONTHS);
    // OK because DormantTally::finish never fails.
    let tally = run(dataset, context, empty.clone()).unwrap_or(empty);
    let months = |i: usize| tally.counts.get(i).copied().unwrap_or(0);
    DormantCustomers {
        months_1: months(0),
        months_3: months(1),
        months_6: months(2),
        months_12: months(3),
        never_ordered: tally.never_ordered,
    }
}

/// `dormant_customers` (docs/metrics.md#customers), for any list of months: for each `N` of
/// `months`,
/// `count(customers with a purchase whose last purchase's local date < today - N months)`. The
/// counts come back in the order of `months`.
///
/// The cut-off `today - N months` uses calendar months clamped to the end of a shorter
/// month (docs/metrics.md#time; see [`dormant_cutoff`]), and is exclusive
/// (docs/metrics.md#customers): a customer whose last purchase is on the cut-off date itself is not
/// dormant for `N`.
///
/// # Edge cases
/// * Customers without a purchase are never dormant: they are [`never_ordered`].
/// * A single purchase is the last purchase.
/// * Cumulative: a larger `N` never counts more customers.
/// * `N = 0`: the cut-off is today, so every customer whose last purchase was before
///   today counts.
/// * Purchases after `as_of` do not exist yet: a customer who buys again tomorrow is
///   still dormant today.
/// * A cut-off before chrono's earliest date counts nobody.
///
/// # Example
/// ```
/// use chrono::{DateTime, Utc};
/// use rust_decimal::Decimal;
/// use crm_metrics::customers::dormant_customers;
/// use crm_metrics::model::{Customer, Order, OrderStatus, Source};
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let at = |text: &str| text.parse::<DateTime<Utc>>();
/// let mut shop = DatasetBuilder::new();
/// for id in ["KH1", "KH2", "KH3"] {
///     shop.push_customer(&Customer::new(id, at("2025-01-05T10:00:00+07:00")?, Source::Pos));
/// }
/// // 14 days ago
/// shop.push_order(&Order::new("DH1", "KH1", at("2026-11-01T10:00:00+07:00")?,
///     OrderStatus::Completed, Decimal::from(1)));
/// // exactly 1 month
/// shop.push_order(&Order::new("DH2", "KH2", at("2026-10-15T00:00:00+07:00")?,
///     OrderStatus::Completed, Decimal::from(1)));
/// // 4.5 months
/// shop.push_order(&Order::new("DH3", "KH3", at("2026-07-01T10:00:00+07:00")?,
///     OrderStatus::Completed, Decimal::from(1)));
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")?).resolve()?;
/// // Cut-offs 2026-10-15, 2026-08-15, 2026-05-15: KH2 is on the first, so not before it.
/// assert_eq!(dormant_customers(&dataset, &context, &[1, 3, 6]), vec![1, 1, 0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn dormant_customers(dataset: &Dataset, context: &Context, months: &[u32]) -> Vec<u64> {
    match run(dataset, context, DormantTally::new(context, months)) {
        Ok(tally) => tally.counts,
        // OK because DormantTally::finish never fails.
        Err(_) => vec![0; months.len()],
    }
}

/// `dormant_customers.never_ordered` (docs/metrics.md#customers):
/// `count(customers with created_at <= as_of and no purchase)` (docs/metrics.md#customers).
///
/// # Edge cases
/// * Orders that are not completed (pending, failed, cancelled) are not purchases: a
///   customer with only those never ordered.
/// * A customer whose only purchase is after `as_of` has not ordered yet.
///
/// # Example
/// ```
/// use chrono::{DateTime, Utc};
/// use rust_decimal::Decimal;
/// use crm_metrics::customers::never_ordered;
/// use crm_metrics::model::{Customer, Order, OrderStatus, Source};
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let at = |text: &str| text.parse::<DateTime<Utc>>();
/// let mut shop = DatasetBuilder::new();
/// shop.push_customer(&Customer::new("KH1", at("2026-01-05T10:00:00+07:00")?, Source::Pos));
/// shop.push_customer(&Customer::new("KH2", at("2026-01-05T10:00:00+07:00")?, Source::Pos));
/// shop.push_order(&Order::new("DH1", "KH1", at("2026-02-01T10:00:00+07:00")?,
///     OrderStatus::Cancelled, Decimal::from(1)));
/// shop.push_order(&Order::new("DH2", "KH2", at("2026-02-01T10:00:00+07:00")?,
///     OrderStatus::Completed, Decimal::from(1)));
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")?).resolve()?;
/// assert_eq!(never_ordered(&dataset, &context), 1); // KH1: a cancelled order only
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn never_ordered(dataset: &Dataset, context: &Context) -> u64 {
    // OK because DormantTally::finish never fails.
    run(dataset, context, DormantTally::new(context, &[]))
        .map(|tally| tally.never_ordered)
        .unwrap_or(0)
}

/// The exclusive cut-off of `dormant_customers` (docs/metrics.md#customers): `today - months`
/// calendar months, clamped to the last day of a shorter month (docs/metrics.md#time). A last
/// purchase on a local date strictly before it is dormant.
///
/// # Edge cases
/// * `None` only beyond chrono's date range (nothing can be before it).
///
/// # Example
/// ```
/// use chrono::NaiveDate;
/// use crm_metrics::customers::dormant_cutoff;
///
/// let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
/// assert_eq!(dormant_cutoff(d(2026, 3, 31), 1), Some(d(2026, 2, 28))); // clamped
/// assert_eq!(dormant_cutoff(d(2026, 11, 15), 12), Some(d(2025, 11, 15)));
/// assert_eq!(dormant_cutoff(NaiveDate::MIN, 1), None);
/// ```
pub fn dormant_cutoff(today: NaiveDate, months: u32) -> Option<NaiveDate> {
    sub_months(today, months)
}

/// `new_customers_daily` (docs/metrics.md#customers): one row per local date of the period, every
/// date (zero-filled), `{date, total, by_source}` where `total` counts customers created on
/// that date and `by_source` splits them by source.
///
/// # Edge cases
/// * Dates after `today` are present with zeros (docs/metrics.md#periods); so is the rest of today
///   after `as_of`.
/// * `by_source` lists only non-zero sources, in the order of docs/input-format.md#enumerations; a
///   day without new customers has an empty `by_source`.
/// * Under DST a local date may be 23 or 25 hours long; each instant belongs to exactly
///   one date.
///
/// # Example
/// ```
/// use chrono::{DateTime, Utc};
/// use crm_metrics::calendar::Preset;
/// use crm_metrics::customers::new_customers_daily;
/// use crm_metrics::model::{Customer, Source};
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let at = |text: &str| text.parse::<DateTime<Utc>>();
/// let mut shop = DatasetBuilder::new();
/// // local midnight
/// shop.push_customer(&Customer::new("KH1", at("2026-11-14T00:00:00+07:00")?, Source::Pos));
/// shop.push_customer(&Customer::new("KH2", at("2026-11-15T09:00:00+07:00")?, Source::Pos));
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")?)
///     .period(Preset::Last7Days)
///     .resolve()?;
/// let days = new_customers_daily(&dataset, &context);
/// assert_eq!(days.len(), 7);
/// assert_eq!(days[5].date.to_string(), "2026-11-14");
/// assert_eq!((days[5].total, days[5].by_source.get(Source::Pos)), (1, 1));
/// assert_eq!(days[0].total, 0); // zero-filled
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn new_customers_daily(dataset: &Dataset, context: &Context) -> Vec<NewCustomersDay> {
    // The period's new customers are a run of indices sorted by created_at: walk the
    // days' end instants alongside them (no per-customer date arithmetic).
    let period = created_between(dataset, context, context.current.start, context.current.end);
    let mut days: Vec<NewCustomersDay> = context
        .period
        .dates()
        .map(|date| NewCustomersDay {
            date,
            total: 0,
            by_source: SourceCounts::default(),
        })
        .collect();
    let day_ends = context.day_ends();
    let mut day = 0;
    for customer in dataset.customers.get(period).unwrap_or_default() {
        while day_ends
            .get(day)
            .is_some_and(|&end| customer.created_at >= end)
        {
            day += 1;
        }
        if let Some(row) = days.get_mut(day) {
            row.total += 1;
            // OK because Source::index() < SOURCES.
            row.by_source.0[customer.source.index()] += 1;
        }
    }
    days
}

fn new_tally(dataset: &Dataset, context: &Context) -> NewTally {
    // OK because NewTally::finish never fails.
    run_range(
        dataset,
        context,
        created_in_window(dataset, context),
        NewTally::new(context),
    )
    .unwrap_or_default()
}

/// The customers created in the period or the previous period (and by `as_of`): an
/// index range, since customers are numbered in creation order. The new-customer
/// metrics only need these.
fn created_in_window(dataset: &Dataset, context: &Context) -> std::ops::Range<usize> {
    let from = context.current.start.min(context.prior.start);
    let to = context.current.end.max(context.prior.end);
    created_between(dataset, context, from, to)
}

/// The customers created in `[from, to)` and by `as_of`, as an index range.
fn created_between(
    dataset: &Dataset,
    context: &Context,
    from: Ts,
    to: Ts,
) -> std::ops::Range<usize> {
    let created = |c: &CustomerRow| c.created_at;
    let start = dataset.customers.partition_point(|c| created(c) < from);
    let end = dataset
        .customers
        .partition_point(|c| created(c) < to && created(c) <= context.as_of_ts);
    start..end.max(start)
}

// ---------------------------------------------------------------------------------------
// The section's metrics
// ---------------------------------------------------------------------------------------

/// New customers per source in the period and the previous one, and the contacts of the
/// current `webpush`/`form` ones.
#[derive(Clone, Copy, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct NewTally {
    /// The earliest start of the two periods: most customers are older and skip the
    /// checks. `Ts::MIN` (the default) checks every customer.
    earliest: Ts,
    current: [u64; SOURCES],
    previous: [u64; SOURCES],
    contacts: WebpushFormContacts,
}

impl NewTally {
    fn new(context: &Context) -> NewTally {
        NewTally {
            earliest: context.current.start.min(context.prior.start),
            ..NewTally::default()
        }
    }

    fn total(&self) -> Comparison<u64> {
        Comparison::counts(self.current.iter().sum(), self.previous.iter().sum())
    }

    fn group(&self, keep: fn(Source) -> bool) -> Comparison<u64> {
        let sum = |counts: &[u64; SOURCES]| -> u64 {
            Source::ALL
                .iter()
                .zip(counts)
                .filter(|(source, _)| keep(**source))
                .map(|(_, n)| n)
                .sum()
        };
        Comparison::counts(sum(&self.current), sum(&self.previous))
    }

    fn by_group(&self) -> NewCustomersByGroup {
        NewCustomersByGroup {
            synced: self.group(Source::is_synced),
            imported: self.group(Source::is_imported),
        }
    }

    fn by_source(&self) -> BySource<Comparison<u64>> {
        BySource(std::array::from_fn(|i| {
            Comparison::counts(self.current[i], self.previous[i])
        }))
    }

    fn webpush_form(&self) -> Comparison<u64> {
        self.group(is_webpush_or_form)
    }
}

fn is_webpush_or_form(source: Source) -> bool {
    matches!(source, Source::Webpush | Source::Form)
}

impl Tally for NewTally {
    const PURCHASES: bool = false;
    type Output = NewTally;

    #[inline]
    fn add(&mut self, _: &Dataset, context: &Context, facts: &Facts<'_>) {
        let row = facts.row;
        if row.created_at < self.earliest {
            return;
        }
        let source = row.source.index();
        if context.in_current(row.created_at) {
            // OK because Source::index() < SOURCES.
            self.current[source] += 1;
            if is_webpush_or_form(row.source) {
                let phone = row.contacts.has(Contacts::PHONE);
                let email = row.contacts.has(Contacts::EMAIL);
                self.contacts.with_phone += u64::from(phone);
                self.contacts.with_email += u64::from(email);
                self.contacts.with_both += u64::from(phone && email);
            }
        }
        if context.in_previous(row.created_at) {
            self.previous[source] += 1;
        }
    }

    fn merge(&mut self, other: NewTally) {
        for (a, b) in self.current.iter_mut().zip(other.current) {
            *a += b;
        }
        for (a, b) in self.previous.iter_mut().zip(other.previous) {
            *a += b;
        }
        self.contacts.with_phone += other.contacts.with_phone;
        self.contacts.with_email += other.contacts.with_email;
        self.contacts.with_both += other.contacts.with_both;
    }

    fn finish(self, _: &Context) -> Result<NewTally> {
        Ok(self)
    }
}

/// Customers with an inbound Zalo interaction in the period and in the previous one.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct ZaloTally {
    /// The instants of both periods together (they may be apart), up to `as_of`.
    window: Range<Ts>,
    current: u64,
    previous: u64,
}

impl ZaloTally {
    fn new(context: &Context) -> ZaloTally {
        let start = context.current.start.min(context.prior.start);
        let end = context.current.end.max(context.prior.end);
        ZaloTally {
            window: start..end,
            current: 0,
            previous: 0,
        }
    }
}

impl Tally for ZaloTally {
    const PURCHASES: bool = false;
    type Output = Comparison<u64>;

    #[inline]
    fn add(&mut self, dataset: &Dataset, context: &Context, facts: &Facts<'_>) {
        // Interactions are sorted by time and the window is recent: only the run's tail
        // from the window's start is read, newest first, and nothing for a customer whose
        // last interaction is older (`Dataset::interactions_newest_since`).
        let (mut current, mut previous) = (false, false);
        for interaction in dataset.interactions_newest_since(facts.customer, self.window.start) {
            let at = interaction.at;
            if at >= self.window.end || at > context.as_of_ts {
                continue;
            }
            if interaction.channel == Channel::Zalo && interaction.is_inbound() {
                current |= context.in_current(at);
                previous |= context.in_previous(at);
                if current && previous {
                    break;
                }
            }
        }
        self.current += u64::from(current);
        self.previous += u64::from(previous);
    }

    fn merge(&mut self, other: ZaloTally) {
        self.current += other.current;
        self.previous += other.previous;
    }

    fn finish(self, _: &Context) -> Result<Comparison<u64>> {
        Ok(Comparison::counts(self.current, self.previous))
    }
}

/// Dormant customers for a list of months, and customers who never bought.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct DormantTally {
    /// Exclusive cut-offs as local epoch days, one per month count.
    cutoffs: Vec<i64>,
    counts: Vec<u64>,
    never_ordered: u64,
}

impl DormantTally {
    fn new(context: &Context, months: &[u32]) -> DormantTally {
        let cutoffs = months
            .iter()
            .map(|n| dormant_cutoff(context.today, *n).map_or(i64::MIN, epoch_day))
            .collect();
        DormantTally {
            cutoffs,
            counts: vec![0; months.len()],
            never_ordered: 0,
        }
    }
}

impl Tally for DormantTally {
    const PURCHASES: bool = true;
    const TOTALS_ONLY: bool = true;
    type Output = DormantTally;

    #[inline]
    fn add(&mut self, _: &Dataset, _: &Context, facts: &Facts<'_>) {
        match facts.purchases.last_day() {
            None => self.never_ordered += 1,
            Some(last) => {
                for (count, cutoff) in self.counts.iter_mut().zip(&self.cutoffs) {
                    *count += u64::from(last < *cutoff);
                }
            }
        }
    }

    fn merge(&mut self, other: DormantTally) {
        for (a, b) in self.counts.iter_mut().zip(other.counts) {
            *a += b;
        }
        self.never_ordered += other.never_ordered;
    }

    fn finish(self, _: &Context) -> Result<DormantTally> {
        Ok(self)
    }
}

/// New customers of the period as `(day row, source)` pairs: memory grows with the new
/// customers of a shard, not with the length of the period.
#[derive(Clone, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct DailyTally {
    created: Vec<(u32, Source)>,
}

impl Tally for DailyTally {
    const PURCHASES: bool = false;
    type Output = Vec<NewCustomersDay>;

    #[inline]
    fn add(&mut self, _: &Dataset, context: &Context, facts: &Facts<'_>) {
        if let Some(day) = context.period_day(facts.row.created_at)
            && let Ok(day) = u32::try_from(day)
        {
            self.created.push((day, facts.row.source));
        }
    }

    fn merge(&mut self, mut other: DailyTally) {
        self.created.append(&mut other.created);
    }

    fn finish(self, context: &Context) -> Result<Vec<NewCustomersDay>> {
        let mut days: Vec<NewCustomersDay> = context
            .period
            .dates()
            .map(|date| NewCustomersDay {
                date,
                total: 0,
                by_source: SourceCounts::default(),
            })
            .collect();
        for (day, source) in self.created {
            if let Some(row) = days.get_mut(day as usize) {
                row.total += 1;
                // OK because Source::index() < SOURCES.
                row.by_source.0[source.index()] += 1;
            }
        }
        Ok(days)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ReportOptions;
    use crate::calendar::{Period, Preset};
    use crate::model::{Customer, Direction, Interaction, InteractionKind, Order, OrderStatus};
    use chrono::{DateTime, Utc};

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn d(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    pub(crate) fn customer(id: &str, created: &str, source: Source) -> Customer {
        Customer {
            id: id.into(),
            created_at: at(created),
            source,
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

    pub(crate) fn order(
        id: &str,
        customer: &str,
        created: &str,
        status: OrderStatus,
        total: i64,
    ) -> Order {
        Order {
            id: id.into(),
            customer_id: customer.into(),
            created_at: at(created),
            status,
            total: Decimal::from(total),
            cost_of_goods: None,
            source: None,
            fanpage_id: None,
            staff_id: None,
            voucher_code: None,
        }
    }

    fn purchase(id: &str, customer: &str, created: &str, total: i64) -> Order {
        order(id, customer, created, OrderStatus::Completed, total)
    }

    fn inbound(id: &str, customer: &str, when: &str, channel: Channel) -> Interaction {
        Interaction {
            id: id.into(),
            customer_id: customer.into(),
            at: at(when),
            channel,
            kind: InteractionKind::Message,
            direction: Direction::Inbound,
            fanpage_id: None,
            staff_id: None,
            automated: false,
            campaign_id: None,
            ref_id: None,
        }
    }

    /// as_of 2026-11-15T10:00+07:00 (today = 2026-11-15), this_month.
    fn context() -> Context {
        ReportOptions::new(at("2026-11-15T10:00:00+07:00"))
            .resolve()
            .unwrap()
    }

    /// The shop of most tests, at as_of 2026-11-15T10:00+07:00:
    /// * KH1 pos, created 2025-01-01: purchases 2026-10-15 00:00 local (exactly one month
    ///   before today at local midnight) 100000, and a cancelled order 2026-11-01.
    /// * KH2 shopee, created 2026-11-02 (new this month): purchases 2026-11-03 200000 and
    ///   2026-11-04 300.5; a purchase after as_of (2026-11-20) 999.
    /// * KH3 form, created 2026-10-20 (new last month), phone + email, never bought.
    /// * KH4 manual, created 2026-11-16 (after as_of): a purchase 2026-11-01 and an
    ///   inbound Zalo message; it does not exist yet.
    /// * KH5 haravan, created 2026-11-10 (new), bought 2025-06-01 (synced history from
    ///   before its creation) 50000: dormant for 1, 3, 6 and 12 months.
    fn shop() -> Dataset {
        let mut b = Dataset::builder();
        b.push_customer(&customer("KH1", "2025-01-01T10:00:00+07:00", Source::Pos));
        b.push_customer(&customer(
            "KH2",
            "2026-11-02T10:00:00+07:00",
            Source::Shopee,
        ));
        b.push_customer(&Customer {
            phone: Some("0901".into()),
            email: Some("a@b.vn".into()),
            ..customer("KH3", "2026-10-20T10:00:00+07:00", Source::Form)
        });
        b.push_customer(&customer(
            "KH4",
            "2026-11-16T10:00:00+07:00",
            Source::Manual,
        ));
        b.push_customer(&customer(
            "KH5",
            "2026-11-10T10:00:00+07:00",
            Source::Haravan,
        ));
        b.push_order(&purchase(
            "DH1",
            "KH1",
            "2026-10-15T00:00:00+07:00",
            100_000,
        ));
        b.push_order(&order(
            "DH2",
            "KH1",
            "2026-11-01T10:00:00+07:00",
            OrderStatus::Cancelled,
            7,
        ));
        b.push_order(&purchase(
            "DH3",
            "KH2",
            "2026-11-03T10:00:00+07:00",
            200_000,
        ));
        b.push_order(&Order {
            total: Decimal::new(3005, 1),
            ..purchase("DH4", "KH2", "2026-11-04T10:00:00+07:00", 0)
        });
        b.push_order(&purchase("DH5", "KH2", "2026-11-20T10:00:00+07:00", 999));
        b.push_order(&purchase("DH6", "KH4", "2026-11-01T10:00:00+07:00", 5));
        b.push_order(&purchase("DH7", "KH5", "2025-06-01T10:00:00+07:00", 50_000));
        b.push_interaction(&inbound(
            "TT1",
            "KH4",
            "2026-11-01T10:00:00+07:00",
            Channel::Zalo,
        ));
        b.build().unwrap()
    }

    #[test]
    fn the_section_by_hand() {
        let s = section(&shop(), &context()).unwrap();
        // KH1, KH2, KH3, KH5 exist; KH4 is created after as_of.
        assert_eq!(s.total_customers, 4);
        // (100000 + 200000 + 300.5 + 50000) / 3 buyers (KH1, KH2, KH5) = 350300.5 / 3
        assert_eq!(
            s.avg_spend_per_customer,
            Some(Decimal::new(3_503_005, 1) / Decimal::from(3))
        );
        // November: KH2 (shopee), KH5 (haravan); October: KH3 (form).
        assert_eq!(s.new_customers, Comparison::counts(2, 1));
        assert_eq!(s.new_customers_by_group.synced, Comparison::counts(2, 0));
        assert_eq!(s.new_customers_by_group.imported, Comparison::counts(0, 0));
        assert_eq!(
            *s.new_customers_by_source.get(Source::Form),
            Comparison::counts(0, 1)
        );
        assert_eq!(s.webpush_form_customers, Comparison::counts(0, 1));
        // KH3 is a previous-period customer: current contacts are all zero.
        assert_eq!(s.webpush_form_contacts, WebpushFormContacts::default());
        // KH4's Zalo message does not count: KH4 does not exist at as_of.
        assert_eq!(s.zalo_oa_customers, Comparison::counts(0, 0));
        // Cut-offs: 2026-10-15, 2026-08-15, 2026-05-15, 2025-11-15.
        // KH1 last bought on 2026-10-15: not strictly before the 1-month cut-off.
        // KH2 last bought on 2026-11-04 (the 2026-11-20 purchase is after as_of).
        // KH5 last bought on 2025-06-01: before every cut-off.
        assert_eq!(
            s.dormant_customers,
            DormantCustomers {
                months_1: 1,
                months_3: 1,
                months_6: 1,
                months_12: 1,
                never_ordered: 1, // KH3
            }
        );
        assert_eq!(s.new_customers_daily.len(), 30);
        let nov2 = &s.new_customers_daily[1];
        assert_eq!((nov2.date, nov2.total), (d("2026-11-02"), 1));
        assert_eq!(nov2.by_source.get(Source::Shopee), 1);
        assert_eq!(s.new_customers_daily[9].total, 1); // Nov 10: KH5
        let total: u64 = s.new_customers_daily.iter().map(|r| r.total).sum();
        assert_eq!(total, 2);
    }

    #[test]
    fn one_metric_at_a_time_agrees_with_the_section() {
        let (data, ctx) = (shop(), context());
        let s = section(&data, &ctx).unwrap();
        assert_eq!(total_customers(&data, &ctx), s.total_customers);
        assert_eq!(
            avg_spend_per_customer(&data, &ctx).unwrap(),
            s.avg_spend_per_customer
        );
        assert_eq!(new_customers(&data, &ctx), s.new_customers);
        assert_eq!(
            new_customers_by_group(&data, &ctx),
            s.new_customers_by_group
        );
        assert_eq!(
            new_customers_by_source(&data, &ctx),
            s.new_customers_by_source
        );
        assert_eq!(zalo_oa_customers(&data, &ctx), s.zalo_oa_customers);
        assert_eq!(
            webpush_form_customers(&data, &ctx),
            s.webpush_form_customers
        );
        assert_eq!(webpush_form_contacts(&data, &ctx), s.webpush_form_contacts);
        assert_eq!(
            never_ordered(&data, &ctx),
            s.dormant_customers.never_ordered
        );
        assert_eq!(new_customers_daily(&data, &ctx), s.new_customers_daily);
        assert_eq!(
            dormant_customers(&data, &ctx, &DORMANT_MONTHS),
            vec![1, 1, 1, 1]
        );
    }

    #[test]
    fn dormant_cut_off_is_exclusive_at_local_midnight() {
        // One customer whose last purchase is exactly N months before today, at local
        // midnight (the first instant of the cut-off date), and one a second earlier.
        for (n, midnight, second_before) in [
            (1, "2026-10-15T00:00:00+07:00", "2026-10-14T23:59:59+07:00"),
            (3, "2026-08-15T00:00:00+07:00", "2026-08-14T23:59:59+07:00"),
            (6, "2026-05-15T00:00:00+07:00", "2026-05-14T23:59:59+07:00"),
            (12, "2025-11-15T00:00:00+07:00", "2025-11-14T23:59:59+07:00"),
        ] {
            let mut b = Dataset::builder();
            b.push_customer(&customer("A", "2024-01-01T00:00:00+07:00", Source::Pos));
            b.push_customer(&customer("B", "2024-01-01T00:00:00+07:00", Source::Pos));
            b.push_order(&purchase("1", "A", midnight, 1));
            b.push_order(&purchase("2", "B", second_before, 1));
            let data = b.build().unwrap();
            // Only B's last purchase is strictly before the cut-off date.
            assert_eq!(
                dormant_customers(&data, &context(), &[n]),
                vec![1],
                "{n} months"
            );
        }
    }

    #[test]
    fn dormant_cut_off_clamps_month_ends() {
        // today = 2026-03-31: one month back clamps to 2026-02-28.
        let ctx = ReportOptions::new(at("2026-03-31T12:00:00+07:00"))
            .resolve()
            .unwrap();
        let mut b = Dataset::builder();
        b.push_customer(&customer("A", "2024-01-01T00:00:00+07:00", Source::Pos));
        b.push_customer(&customer("B", "2024-01-01T00:00:00+07:00", Source::Pos));
        b.push_order(&purchase("1", "A", "2026-02-28T08:00:00+07:00", 1)); // on the cut-off
        b.push_order(&purchase("2", "B", "2026-02-27T08:00:00+07:00", 1)); // the day before
        let data = b.build().unwrap();
        assert_eq!(dormant_customers(&data, &ctx, &[1, 0]), vec![1, 2]);
        // N = 0: the cut-off is today; both last bought before today.
    }

    #[test]
    fn dormant_uses_the_local_date() {
        // 2026-10-14T17:30Z is 2026-10-15 00:30 in Vietnam but 2026-10-14 in UTC.
        let mut b = Dataset::builder();
        b.push_customer(&customer("A", "2024-01-01T00:00:00Z", Source::Pos));
        b.push_order(&purchase("1", "A", "2026-10-14T17:30:00Z", 1));
        let data = b.build().unwrap();
        let vn = context();
        assert_eq!(dormant_customers(&data, &vn, &[1]), vec![0]); // on the cut-off
        let utc = ReportOptions::new(at("2026-11-15T10:00:00+07:00"))
            .time_zone("+00:00")
            .resolve()
            .unwrap();
        assert_eq!(dormant_customers(&data, &utc, &[1]), vec![1]); // the day before
    }

    #[test]
    fn nothing_bought_means_undefined_average() {
        let mut b = Dataset::builder();
        b.push_customer(&customer("A", "2026-01-01T00:00:00+07:00", Source::Pos));
        b.push_order(&order(
            "1",
            "A",
            "2026-02-01T00:00:00+07:00",
            OrderStatus::Failed,
            9,
        ));
        let data = b.build().unwrap();
        let ctx = context();
        assert_eq!(avg_spend_per_customer(&data, &ctx).unwrap(), None);
        assert_eq!(never_ordered(&data, &ctx), 1);
        assert_eq!(dormant_customers(&data, &ctx, &DORMANT_MONTHS), vec![0; 4]);
        // An empty dataset: nothing, but no error.
        let empty = Dataset::builder().build().unwrap();
        let s = section(&empty, &ctx).unwrap();
        assert_eq!(s.total_customers, 0);
        assert_eq!(s.avg_spend_per_customer, None);
        assert_eq!(s.new_customers_daily.len(), 30);
    }

    #[test]
    fn zalo_counts_distinct_inbound_customers_per_period() {
        let mut b = Dataset::builder();
        b.push_customer(&customer("A", "2025-01-01T00:00:00+07:00", Source::ZaloOa));
        b.push_customer(&customer("B", "2025-01-01T00:00:00+07:00", Source::Pos));
        b.push_customer(&customer("C", "2025-01-01T00:00:00+07:00", Source::Pos));
        // A: two in November, one in October -> current and previous once each.
        b.push_interaction(&inbound(
            "1",
            "A",
            "2026-11-01T00:00:00+07:00",
            Channel::Zalo,
        ));
        b.push_interaction(&inbound(
            "2",
            "A",
            "2026-11-02T00:00:00+07:00",
            Channel::Zalo,
        ));
        b.push_interaction(&inbound(
            "3",
            "A",
            "2026-10-31T23:59:59+07:00",
            Channel::Zalo,
        ));
        // B: Facebook, and an outbound Zalo message: neither counts.
        b.push_interaction(&inbound(
            "4",
            "B",
            "2026-11-03T00:00:00+07:00",
            Channel::Facebook,
        ));
        b.push_interaction(&Interaction {
            direction: Direction::Outbound,
            ..inbound("5", "B", "2026-11-03T00:00:00+07:00", Channel::Zalo)
        });
        // C: after as_of (later today), and before the previous period.
        b.push_interaction(&inbound(
            "6",
            "C",
            "2026-11-15T10:00:01+07:00",
            Channel::Zalo,
        ));
        b.push_interaction(&inbound(
            "7",
            "C",
            "2026-09-30T23:59:59+07:00",
            Channel::Zalo,
        ));
        let data = b.build().unwrap();
        assert_eq!(
            zalo_oa_customers(&data, &context()),
            Comparison::counts(1, 1)
        );
        // Exactly at as_of is included (docs/metrics.md#time).
        let at_as_of = ReportOptions::new(at("2026-11-15T10:00:01+07:00"))
            .resolve()
            .unwrap();
        assert_eq!(
            zalo_oa_customers(&data, &at_as_of),
            Comparison::counts(2, 1)
        );
    }

    #[test]
    fn contacts_count_inclusively() {
        let mut b = Dataset::builder();
        let base = customer("A", "2026-11-02T00:00:00+07:00", Source::Webpush);
        b.push_customer(&Customer {
            phone: Some("1".into()),
            ..base.clone()
        });
        b.push_customer(&Customer {
            id: "B".into(),
            email: Some("b@x".into()),
            ..base.clone()
        });
        b.push_customer(&Customer {
            id: "C".into(),
            source: Source::Form,
            phone: Some("3".into()),
            email: Some("c@x".into()),
            ..base.clone()
        });
        b.push_customer(&Customer {
            id: "D".into(),
            ..base.clone()
        }); // neither
        b.push_customer(&Customer {
            id: "E".into(),
            source: Source::Pos,
            phone: Some("5".into()),
            ..base.clone()
        }); // not webpush/form
        let data = b.build().unwrap();
        let ctx = context();
        // phones: A, C = 2; emails: B, C = 2; both: C = 1
        assert_eq!(
            webpush_form_contacts(&data, &ctx),
            WebpushFormContacts {
                with_phone: 2,
                with_email: 2,
                with_both: 1
            }
        );
        assert_eq!(
            webpush_form_customers(&data, &ctx),
            Comparison::counts(4, 0)
        );
    }

    #[test]
    fn daily_rows_in_berlin_across_dst() {
        // October 2026 in Berlin has 31 days; the 25th is 25 hours long.
        let ctx = ReportOptions::new(at("2026-11-15T10:00:00+07:00"))
            .time_zone("Europe/Berlin")
            .period(Preset::LastMonth)
            .resolve()
            .unwrap();
        let mut b = Dataset::builder();
        // 2026-10-25T23:30Z is 00:30 CET on the 26th; 22:30Z is 23:30 CET on the 25th.
        b.push_customer(&customer("A", "2026-10-25T22:30:00Z", Source::Pos));
        b.push_customer(&customer("B", "2026-10-25T23:30:00Z", Source::Lazada));
        b.push_customer(&customer("C", "2026-09-30T22:00:00Z", Source::Pos)); // Oct 1 00:00
        let data = b.build().unwrap();
        let days = new_customers_daily(&data, &ctx);
        assert_eq!(days.len(), 31);
        assert_eq!((days[0].date, days[0].total), (d("2026-10-01"), 1));
        assert_eq!((days[24].date, days[24].total), (d("2026-10-25"), 1));
        assert_eq!(days[25].by_source.get(Source::Lazada), 1);
    }

    #[test]
    fn daily_by_source_serializes_non_zero_sources_in_spec_order() {
        let mut counts = SourceCounts::default();
        counts.0[Source::Pos.index()] = 2;
        counts.0[Source::Haravan.index()] = 1;
        assert_eq!(
            serde_json::to_string(&counts).unwrap(),
            r#"{"haravan":1,"pos":2}"#
        );
        let all = BySource([0u64; SOURCES]);
        let json = serde_json::to_value(all).unwrap();
        assert_eq!(json.as_object().unwrap().len(), 11);
    }

    /// Positions of `"key":` in `json`, which must exist and increase (key order).
    pub(crate) fn assert_key_order(json: &str, keys: &[&str]) {
        let positions: Vec<usize> = keys
            .iter()
            .map(|key| {
                json.find(&format!("\"{key}\":"))
                    .unwrap_or_else(|| panic!("{key} missing"))
            })
            .collect();
        assert!(positions.windows(2).all(|p| p[0] < p[1]), "{json}");
    }

    #[test]
    fn json_shape_follows_spec() {
        let s = section(&shop(), &context()).unwrap();
        let text = serde_json::to_string(&s).unwrap();
        assert_key_order(
            &text,
            &[
                "total_customers",
                "avg_spend_per_customer",
                "new_customers",
                "new_customers_by_group",
                "new_customers_by_source",
                "zalo_oa_customers",
                "webpush_form_customers",
                "webpush_form_contacts",
                "dormant_customers",
                "new_customers_daily",
            ],
        );
        assert_key_order(&text, &["1", "3", "6", "12", "never_ordered"]);
        assert_key_order(&text, &["with_phone", "with_email", "with_both"]);
        assert_key_order(&text, &["date", "total", "by_source"]);
        // Every source, in the order of docs/input-format.md#enumerations.
        let names: Vec<&str> = Source::ALL.iter().map(|s| s.name()).collect();
        assert_key_order(&text, &names);
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        // Money is a decimal string: 350300.5 / 3 = 116766.8333...
        assert!(
            json["avg_spend_per_customer"]
                .as_str()
                .unwrap()
                .starts_with("116766.83")
        );
        assert_eq!(json["new_customers"]["delta"], "1"); // (2 - 1) / 1
        assert_eq!(
            json["new_customers_by_group"]["imported"]["delta"],
            serde_json::Value::Null
        );
        assert_eq!(json["new_customers_daily"][1]["date"], "2026-11-02");
        assert_eq!(json["new_customers_daily"][1]["by_source"]["shopee"], 1);
        assert_eq!(
            json["new_customers_daily"][0]["by_source"],
            serde_json::json!({})
        );
    }

    #[test]
    fn custom_period_apart_from_its_previous() {
        // A custom period and its previous one are adjacent; check both edges.
        let ctx = ReportOptions::new(at("2026-11-15T10:00:00+07:00"))
            .period(Period::new(d("2026-09-20"), d("2026-10-10")).unwrap())
            .resolve()
            .unwrap();
        let mut b = Dataset::builder();
        b.push_customer(&customer("A", "2026-09-20T00:00:00+07:00", Source::Pos)); // first instant
        b.push_customer(&customer("B", "2026-09-19T23:59:59+07:00", Source::Pos)); // previous
        b.push_customer(&customer("C", "2026-10-11T00:00:00+07:00", Source::Pos)); // after
        b.push_customer(&customer("D", "2026-08-30T00:00:00+07:00", Source::Pos)); // previous start
        let data = b.build().unwrap();
        // previous = 21 days ending 2026-09-19: 2026-08-30 .. 2026-09-19.
        assert_eq!(new_customers(&data, &ctx), Comparison::counts(1, 2));
    }
}
