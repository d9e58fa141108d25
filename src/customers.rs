//! SPEC §3: the customer dashboard (S0, GAPONE): how many customers there are, how
//! many arrive and from where, who talks to the Zalo OA, and who stopped buying.
//!
//! [`section`] builds the whole section in one pass over the customers that exist at
//! `as_of`; each metric also has its own function ([`avg_spend_per_customer`],
//! [`dormant_customers`] with any list of months, [`new_customers_daily`], …) for a
//! service that wants one number. All of them are folds over customers
//! ([`CustomersPartial`] is the section's [`CustomerFold`]): each customer is read once,
//! with all its orders front to back, and partial states merge exactly.
//!
//! This module also holds what both customer sections share: [`PurchaseSummary`], one
//! customer's purchases (SPEC §1) summarized in one pass, and the crate-private fold
//! adapter that feeds it to each metric.
//!
//! # Existence and purchases (SPEC §1, §9.20)
//! * A customer exists from its `created_at`: only customers with `created_at <= as_of`
//!   are counted anywhere.
//! * A purchase is a `completed` order with `created_at <= as_of`, even when it is dated
//!   before its customer's `created_at` (synced history). Purchases are ordered by
//!   `(created_at, id)`, the order the dataset keeps each customer's orders in.
//! * Events after `as_of` change nothing.
//!
//! # Examples
//! The examples build tiny datasets with two helpers that are hidden for brevity:
//! `customer(id, created_at)` fills a [`Customer`](crate::model::Customer) with source
//! `pos` and no other field, and `purchase(id, customer_id, created_at, total)` fills a
//! completed [`Order`](crate::model::Order); `at(text)` parses an RFC 3339 instant.

use std::ops::Range;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::calendar::{Ts, date_of_epoch_day, epoch_day, sub_months};
use crate::customer_picture::CycleBucket;
use crate::dataset::{Contacts, CustomerIdx, CustomerRow, Dataset, OrderRow};
use crate::error::Result;
use crate::fold::{CustomerFold, fold_customers};
use crate::model::{Channel, Source};
use crate::money::{Cmp, DecimalSum, ratio};
use crate::report::Context;

/// Number of customer sources (SPEC §2).
const SOURCES: usize = Source::ALL.len();

/// The months of SPEC §3 `dormant_customers`.
pub const DORMANT_MONTHS: [u32; 4] = [1, 3, 6, 12];

// ---------------------------------------------------------------------------------------
// The section
// ---------------------------------------------------------------------------------------

/// SPEC §3 `customers`: the customer dashboard. Keys serialize in SPEC's order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CustomersSection {
    /// Customers with `created_at <= as_of` (no period). See [`total_customers`].
    pub total_customers: u64,
    /// Spend of all purchases over customers with a purchase; `None` when nobody
    /// bought. See [`avg_spend_per_customer`].
    pub avg_spend_per_customer: Option<Decimal>,
    /// Customers created in the period against the previous period. See
    /// [`new_customers`].
    pub new_customers: Cmp<u64>,
    /// The same, for synced and imported sources. See [`new_customers_by_group`].
    pub new_customers_by_group: NewCustomersByGroup,
    /// The same, for every source. See [`new_customers_by_source`].
    pub new_customers_by_source: BySource<Cmp<u64>>,
    /// Distinct customers with an inbound Zalo interaction in the period. See
    /// [`zalo_oa_customers`].
    pub zalo_oa_customers: Cmp<u64>,
    /// New customers from `webpush` or `form`. See [`webpush_form_customers`].
    pub webpush_form_customers: Cmp<u64>,
    /// Contacts of the current ones. See [`webpush_form_contacts`].
    pub webpush_form_contacts: WebpushFormContacts,
    /// Customers without a purchase for 1, 3, 6, 12 months, and those who never
    /// bought. See [`dormant_customers`].
    pub dormant_customers: DormantCustomers,
    /// New customers per local date of the period. See [`new_customers_daily`].
    pub new_customers_daily: Vec<NewCustomersDay>,
}

/// SPEC §3 `new_customers_by_group`: new customers from synced sources (haravan,
/// shopee, lazada, other_oms) and imported ones (excel_import, manual).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct NewCustomersByGroup {
    /// [`Source::is_synced`].
    pub synced: Cmp<u64>,
    /// [`Source::is_imported`].
    pub imported: Cmp<u64>,
}

/// SPEC §3 `webpush_form_contacts`, counted inclusively (SPEC §9.22).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct WebpushFormContacts {
    /// Has a phone (with or without an e-mail).
    pub with_phone: u64,
    /// Has an e-mail (with or without a phone).
    pub with_email: u64,
    /// Has both.
    pub with_both: u64,
}

/// SPEC §3 `dormant_customers`: keys `"1"`, `"3"`, `"6"`, `"12"`, `"never_ordered"`.
///
/// Cumulative: every customer counted in `months_12` is also in `months_6`, `months_3`
/// and `months_1`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
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

/// One row of SPEC §3 `new_customers_daily`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NewCustomersDay {
    /// The local date.
    pub date: NaiveDate,
    /// Customers created that day (up to `as_of`).
    pub total: u64,
    /// The same by source; serializes only the non-zero sources, in SPEC §2's order.
    pub by_source: SourceCounts,
}

/// A value for every customer source (SPEC §2), in SPEC's order. Serializes as an
/// object with **every** source as key (SPEC §3 `new_customers_by_source`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BySource<T>(pub [T; SOURCES]);

impl<T> BySource<T> {
    /// The value of one source.
    pub fn get(&self, source: Source) -> &T {
        // OK because Source::index() < Source::ALL.len() == SOURCES.
        &self.0[source.index()]
    }

    /// `(source, value)` pairs in SPEC §2's order.
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
/// in SPEC §2's order (SPEC §3 `new_customers_daily.by_source`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SourceCounts(pub [u64; SOURCES]);

impl SourceCounts {
    /// The count of one source.
    pub fn get(&self, source: Source) -> u64 {
        // OK because Source::index() < SOURCES.
        self.0[source.index()]
    }

    /// The non-zero `(source, count)` pairs in SPEC §2's order.
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

/// Computes SPEC §3 `customers` in one fold over the customers that exist at `as_of`.
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
    fold_customers(dataset, 0..existing, || CustomersPartial::new(context)).finish(dataset)
}

/// The partial state of the `customers` section over a shard of customers: a
/// [`CustomerFold`] whose [`merge`](CustomerFold::merge) is exact, so any split of the
/// customers into shards (each customer with all its rows) merges into exactly
/// [`section`]'s result.
///
/// Fold only customers that exist at `as_of` (indices `0..n` of
/// [`Dataset::customers_at`]): `total_customers` counts what is folded.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::fold::{CustomerFold, fold_shard};
/// use crm_metrics::customers::{CustomersPartial, section};
/// use crm_metrics::{CustomerIdx, ReportOptions, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(200).seed(5).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let existing: Vec<CustomerIdx> = dataset.customer_indices().take(dataset.customers_at(as_of).len()).collect();
/// let (odd, even): (Vec<_>, Vec<_>) = existing.iter().partition(|c| c.index() % 2 == 1);
/// let mut left = CustomersPartial::new(&context);
/// fold_shard(&mut left, &dataset, odd);
/// let mut right = CustomersPartial::new(&context);
/// fold_shard(&mut right, &dataset, even);
/// left.merge(right);
/// assert_eq!(left.finish(&dataset)?, section(&dataset, &context)?);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
#[derive(Clone)]
pub struct CustomersPartial<'c>(TallyFold<'c, CustomersTally>);

impl<'c> CustomersPartial<'c> {
    /// An empty partial state for the report described by `context`.
    pub fn new(context: &'c Context) -> CustomersPartial<'c> {
        CustomersPartial(TallyFold::new(context, CustomersTally::new(context)))
    }
}

impl CustomerFold for CustomersPartial<'_> {
    type Output = CustomersSection;

    fn add_customer(&mut self, dataset: &Dataset, customer: CustomerIdx) {
        self.0.add_customer(dataset, customer);
    }

    fn merge(&mut self, other: Self) {
        self.0.merge(other.0);
    }

    fn finish(self, dataset: &Dataset) -> Result<CustomersSection> {
        self.0.finish(dataset)
    }
}

/// Every metric of the section, fed by one purchase scan per customer.
#[derive(Clone)]
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

/// SPEC §3 `total_customers` (and §6): `count(customers with created_at <= as_of)`.
///
/// No period applies. `O(log n)`: customers are indexed in creation order.
///
/// # Edge cases
/// * Customers created after `as_of` do not exist yet and are not counted.
/// * A customer counts whether or not it ever bought.
///
/// # Example
/// ```
/// # fn at(text: &str) -> chrono::DateTime<chrono::Utc> { chrono::DateTime::parse_from_rfc3339(text).unwrap().to_utc() }
/// # fn customer(id: &str, created: &str) -> crm_metrics::model::Customer {
/// #     crm_metrics::model::Customer { id: id.into(), created_at: at(created), source: crm_metrics::model::Source::Pos, name: None,
/// #         phone: None, email: None, gender: None, birth_date: None, zalo_id: None,
/// #         facebook_id: None, notes: None }
/// # }
/// use crm_metrics::customers::total_customers;
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let mut shop = DatasetBuilder::new();
/// shop.push_customer(&customer("KH1", "2026-01-05T10:00:00+07:00"));
/// shop.push_customer(&customer("KH2", "2026-12-01T10:00:00+07:00")); // after as_of
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")).resolve()?;
/// assert_eq!(total_customers(&dataset, &context), 1);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn total_customers(dataset: &Dataset, context: &Context) -> u64 {
    dataset.existing(context.as_of_ts) as u64
}

/// SPEC §3 `avg_spend_per_customer`:
/// `sum(total of every purchase) / count(customers with at least one purchase)`.
///
/// **Decision** (SPEC §3): spend is over purchases (completed orders), not all orders,
/// so that cancelled and failed orders do not inflate it.
///
/// # Edge cases
/// * No customer with a purchase: `Ok(None)` (JSON `null`), never `0`.
/// * A single purchase of one customer: that purchase's total.
/// * Customers without a purchase are not in the denominator.
/// * Orders after `as_of`, and customers created after it, are ignored; a purchase dated
///   before its customer's `created_at` counts (SPEC §9.20).
///
/// # Errors
/// [`Error::Overflow`](crate::Error::Overflow) naming `customers.avg_spend_per_customer`
/// when the spend of all purchases does not fit in a decimal.
///
/// # Example
/// ```
/// # fn at(text: &str) -> chrono::DateTime<chrono::Utc> { chrono::DateTime::parse_from_rfc3339(text).unwrap().to_utc() }
/// # fn customer(id: &str, created: &str) -> crm_metrics::model::Customer {
/// #     crm_metrics::model::Customer { id: id.into(), created_at: at(created), source: crm_metrics::model::Source::Pos, name: None,
/// #         phone: None, email: None, gender: None, birth_date: None, zalo_id: None,
/// #         facebook_id: None, notes: None }
/// # }
/// # fn purchase(id: &str, customer: &str, created: &str, total: i64) -> crm_metrics::model::Order {
/// #     crm_metrics::model::Order { id: id.into(), customer_id: customer.into(), created_at: at(created),
/// #         status: crm_metrics::model::OrderStatus::Completed, total: total.into(), cost_of_goods: None,
/// #         source: None, fanpage_id: None, staff_id: None, voucher_code: None }
/// # }
/// use crm_metrics::customers::avg_spend_per_customer;
/// use rust_decimal::Decimal;
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let mut shop = DatasetBuilder::new();
/// shop.push_customer(&customer("KH1", "2026-01-05T10:00:00+07:00"));
/// shop.push_customer(&customer("KH2", "2026-01-06T10:00:00+07:00"));
/// shop.push_customer(&customer("KH3", "2026-01-07T10:00:00+07:00")); // never buys
/// shop.push_order(&purchase("DH1", "KH1", "2026-02-01T10:00:00+07:00", 100_000));
/// shop.push_order(&purchase("DH2", "KH1", "2026-03-01T10:00:00+07:00", 200_000));
/// shop.push_order(&purchase("DH3", "KH2", "2026-03-02T10:00:00+07:00", 600_000));
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")).resolve()?;
/// // (100000 + 200000 + 600000) / 2 buyers
/// assert_eq!(avg_spend_per_customer(&dataset, &context)?, Some(Decimal::from(450_000)));
///
/// // Before the first purchase nobody has bought: undefined, not 0.
/// let before = ReportOptions::new(at("2026-01-31T10:00:00+07:00")).resolve()?;
/// assert_eq!(avg_spend_per_customer(&dataset, &before)?, None);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn avg_spend_per_customer(dataset: &Dataset, context: &Context) -> Result<Option<Decimal>> {
    run(dataset, context, SpendTally::default())?.avg_spend_per_customer()
}

/// SPEC §3 `new_customers`: `count(customers with created_at in the period)`, against the
/// previous period.
///
/// # Edge cases
/// * "In the period" also means `<= as_of` (SPEC §1): customers created later today are
///   not new yet.
/// * `delta` is `None` when the previous period had none.
///
/// # Example
/// ```
/// # fn at(text: &str) -> chrono::DateTime<chrono::Utc> { chrono::DateTime::parse_from_rfc3339(text).unwrap().to_utc() }
/// # fn customer(id: &str, created: &str) -> crm_metrics::model::Customer {
/// #     crm_metrics::model::Customer { id: id.into(), created_at: at(created), source: crm_metrics::model::Source::Pos, name: None,
/// #         phone: None, email: None, gender: None, birth_date: None, zalo_id: None,
/// #         facebook_id: None, notes: None }
/// # }
/// use crm_metrics::customers::new_customers;
/// use rust_decimal::Decimal;
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let mut shop = DatasetBuilder::new();
/// shop.push_customer(&customer("KH1", "2026-10-05T10:00:00+07:00")); // October
/// shop.push_customer(&customer("KH2", "2026-11-02T10:00:00+07:00")); // November
/// shop.push_customer(&customer("KH3", "2026-11-03T10:00:00+07:00"));
/// shop.push_customer(&customer("KH4", "2026-11-20T10:00:00+07:00")); // after as_of
/// let dataset = shop.build()?;
/// // this_month (the default): November against October.
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")).resolve()?;
/// let new = new_customers(&dataset, &context);
/// assert_eq!((new.current, new.previous, new.delta), (2, 1, Some(Decimal::ONE))); // (2 - 1) / 1
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn new_customers(dataset: &Dataset, context: &Context) -> Cmp<u64> {
    new_tally(dataset, context).total()
}

/// SPEC §3 `new_customers_by_group`: [`new_customers`] of synced sources (haravan,
/// shopee, lazada, other_oms) and of imported ones (excel_import, manual).
///
/// # Edge cases
/// * Other sources are in neither group.
/// * `delta` is `None` when the group had no new customer in the previous period.
///
/// # Example
/// ```
/// # fn at(text: &str) -> chrono::DateTime<chrono::Utc> { chrono::DateTime::parse_from_rfc3339(text).unwrap().to_utc() }
/// # fn customer(id: &str, created: &str) -> crm_metrics::model::Customer {
/// #     crm_metrics::model::Customer { id: id.into(), created_at: at(created), source: crm_metrics::model::Source::Pos, name: None,
/// #         phone: None, email: None, gender: None, birth_date: None, zalo_id: None,
/// #         facebook_id: None, notes: None }
/// # }
/// use crm_metrics::customers::new_customers_by_group;
/// use crm_metrics::model::{Customer, Source};
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let mut shop = DatasetBuilder::new();
/// let from = |id, source| Customer { source, ..customer(id, "2026-11-02T10:00:00+07:00") };
/// shop.push_customer(&from("KH1", Source::Shopee));
/// shop.push_customer(&from("KH2", Source::Manual));
/// shop.push_customer(&from("KH3", Source::Pos)); // neither group
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")).resolve()?;
/// let groups = new_customers_by_group(&dataset, &context);
/// assert_eq!((groups.synced.current, groups.imported.current), (1, 1));
/// assert_eq!(groups.synced.delta, None); // nobody in October
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn new_customers_by_group(dataset: &Dataset, context: &Context) -> NewCustomersByGroup {
    new_tally(dataset, context).by_group()
}

/// SPEC §3 `new_customers_by_source`: [`new_customers`] for **every** source of SPEC §2,
/// in SPEC's order.
///
/// # Edge cases
/// * A source without new customers in either period is present with `0`, `0`, `None`.
///
/// # Example
/// ```
/// # fn at(text: &str) -> chrono::DateTime<chrono::Utc> { chrono::DateTime::parse_from_rfc3339(text).unwrap().to_utc() }
/// # fn customer(id: &str, created: &str) -> crm_metrics::model::Customer {
/// #     crm_metrics::model::Customer { id: id.into(), created_at: at(created), source: crm_metrics::model::Source::Pos, name: None,
/// #         phone: None, email: None, gender: None, birth_date: None, zalo_id: None,
/// #         facebook_id: None, notes: None }
/// # }
/// use crm_metrics::customers::new_customers_by_source;
/// use crm_metrics::model::Source;
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let mut shop = DatasetBuilder::new();
/// shop.push_customer(&customer("KH1", "2026-11-02T10:00:00+07:00")); // pos
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")).resolve()?;
/// let by_source = new_customers_by_source(&dataset, &context);
/// assert_eq!(by_source.get(Source::Pos).current, 1);
/// assert_eq!(by_source.get(Source::Haravan).current, 0);
/// assert_eq!(by_source.iter().count(), 11); // every source
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn new_customers_by_source(dataset: &Dataset, context: &Context) -> BySource<Cmp<u64>> {
    new_tally(dataset, context).by_source()
}

/// SPEC §3 `zalo_oa_customers`: `count(distinct customers with an inbound interaction on
/// channel zalo in the period)`, against the previous period.
///
/// # Edge cases
/// * Any kind counts (message, follow, survey response, …); outbound ones do not.
/// * A customer with several such interactions counts once per period.
/// * Interactions after `as_of` are ignored, and so are the interactions of customers
///   created after `as_of` (SPEC §9.20).
///
/// # Example
/// ```
/// # fn at(text: &str) -> chrono::DateTime<chrono::Utc> { chrono::DateTime::parse_from_rfc3339(text).unwrap().to_utc() }
/// # fn customer(id: &str, created: &str) -> crm_metrics::model::Customer {
/// #     crm_metrics::model::Customer { id: id.into(), created_at: at(created), source: crm_metrics::model::Source::Pos, name: None,
/// #         phone: None, email: None, gender: None, birth_date: None, zalo_id: None,
/// #         facebook_id: None, notes: None }
/// # }
/// use crm_metrics::customers::zalo_oa_customers;
/// use crm_metrics::model::{Channel, Direction, Interaction, InteractionKind};
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let mut shop = DatasetBuilder::new();
/// shop.push_customer(&customer("KH1", "2026-01-05T10:00:00+07:00"));
/// let follow = |id: &str, when| Interaction {
///     id: id.into(), customer_id: "KH1".into(), at: at(when), channel: Channel::Zalo,
///     kind: InteractionKind::Follow, direction: Direction::Inbound, fanpage_id: None,
///     staff_id: None, automated: false, campaign_id: None, ref_id: None,
/// };
/// shop.push_interaction(&follow("TT1", "2026-11-02T10:00:00+07:00"));
/// shop.push_interaction(&follow("TT2", "2026-11-03T10:00:00+07:00")); // same customer
/// shop.push_interaction(&follow("TT3", "2026-11-20T10:00:00+07:00")); // after as_of
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")).resolve()?;
/// let zalo = zalo_oa_customers(&dataset, &context);
/// assert_eq!((zalo.current, zalo.previous, zalo.delta), (1, 0, None));
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn zalo_oa_customers(dataset: &Dataset, context: &Context) -> Cmp<u64> {
    let counts = run(dataset, context, ZaloTally::new(context));
    // OK because ZaloTally::finish never fails.
    counts.unwrap_or_else(|_| Cmp::counts(0, 0))
}

/// SPEC §3 `webpush_form_customers`: [`new_customers`] whose source is `webpush` or
/// `form`.
///
/// # Edge cases
/// * `delta` is `None` when the previous period had none.
///
/// # Example
/// ```
/// # fn at(text: &str) -> chrono::DateTime<chrono::Utc> { chrono::DateTime::parse_from_rfc3339(text).unwrap().to_utc() }
/// # fn customer(id: &str, created: &str) -> crm_metrics::model::Customer {
/// #     crm_metrics::model::Customer { id: id.into(), created_at: at(created), source: crm_metrics::model::Source::Pos, name: None,
/// #         phone: None, email: None, gender: None, birth_date: None, zalo_id: None,
/// #         facebook_id: None, notes: None }
/// # }
/// use crm_metrics::customers::webpush_form_customers;
/// use crm_metrics::model::{Customer, Source};
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let mut shop = DatasetBuilder::new();
/// let from = |id, when, source| Customer { source, ..customer(id, when) };
/// shop.push_customer(&from("KH1", "2026-10-02T10:00:00+07:00", Source::Form));
/// shop.push_customer(&from("KH2", "2026-11-02T10:00:00+07:00", Source::Webpush));
/// shop.push_customer(&from("KH3", "2026-11-03T10:00:00+07:00", Source::Form));
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")).resolve()?;
/// let web = webpush_form_customers(&dataset, &context);
/// assert_eq!((web.current, web.previous), (2, 1));
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn webpush_form_customers(dataset: &Dataset, context: &Context) -> Cmp<u64> {
    new_tally(dataset, context).webpush_form()
}

/// SPEC §3 `webpush_form_contacts`: of the new customers of the period whose source is
/// `webpush` or `form`, those with a phone, with an e-mail, and with both.
///
/// Counted inclusively (SPEC §9.22): `with_phone` = has a phone, with or without an
/// e-mail; `with_email` likewise; `with_both` = has both.
///
/// # Edge cases
/// * Only the current period; customers from other sources are not counted.
/// * No such customer: all three are `0`.
///
/// # Example
/// ```
/// # fn at(text: &str) -> chrono::DateTime<chrono::Utc> { chrono::DateTime::parse_from_rfc3339(text).unwrap().to_utc() }
/// # fn customer(id: &str, created: &str) -> crm_metrics::model::Customer {
/// #     crm_metrics::model::Customer { id: id.into(), created_at: at(created), source: crm_metrics::model::Source::Pos, name: None,
/// #         phone: None, email: None, gender: None, birth_date: None, zalo_id: None,
/// #         facebook_id: None, notes: None }
/// # }
/// use crm_metrics::customers::webpush_form_contacts;
/// use crm_metrics::model::{Customer, Source};
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let mut shop = DatasetBuilder::new();
/// let base = customer("KH1", "2026-11-02T10:00:00+07:00");
/// shop.push_customer(&Customer { source: Source::Form, phone: Some("0901".into()),
///     email: Some("a@b.vn".into()), ..base.clone() });
/// shop.push_customer(&Customer { id: "KH2".into(), source: Source::Webpush,
///     phone: Some("0902".into()), ..base.clone() });
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")).resolve()?;
/// let contacts = webpush_form_contacts(&dataset, &context);
/// assert_eq!((contacts.with_phone, contacts.with_email, contacts.with_both), (2, 1, 1));
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn webpush_form_contacts(dataset: &Dataset, context: &Context) -> WebpushFormContacts {
    new_tally(dataset, context).contacts
}

/// SPEC §3 `dormant_customers`, the report's field: months 1, 3, 6 and 12, and
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

/// SPEC §3 `dormant_customers`, for any list of months: for each `N` of `months`,
/// `count(customers with a purchase whose last purchase's local date < today - N months)`.
/// The counts come back in the order of `months`.
///
/// The cut-off `today - N months` uses calendar months clamped to the end of a shorter
/// month (SPEC §1; see [`dormant_cutoff`]), and is exclusive (SPEC §9.15): a customer
/// whose last purchase is on the cut-off date itself is not dormant for `N`.
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
/// # fn at(text: &str) -> chrono::DateTime<chrono::Utc> { chrono::DateTime::parse_from_rfc3339(text).unwrap().to_utc() }
/// # fn customer(id: &str, created: &str) -> crm_metrics::model::Customer {
/// #     crm_metrics::model::Customer { id: id.into(), created_at: at(created), source: crm_metrics::model::Source::Pos, name: None,
/// #         phone: None, email: None, gender: None, birth_date: None, zalo_id: None,
/// #         facebook_id: None, notes: None }
/// # }
/// # fn purchase(id: &str, customer: &str, created: &str, total: i64) -> crm_metrics::model::Order {
/// #     crm_metrics::model::Order { id: id.into(), customer_id: customer.into(), created_at: at(created),
/// #         status: crm_metrics::model::OrderStatus::Completed, total: total.into(), cost_of_goods: None,
/// #         source: None, fanpage_id: None, staff_id: None, voucher_code: None }
/// # }
/// use crm_metrics::customers::dormant_customers;
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let mut shop = DatasetBuilder::new();
/// for id in ["KH1", "KH2", "KH3"] {
///     shop.push_customer(&customer(id, "2025-01-05T10:00:00+07:00"));
/// }
/// shop.push_order(&purchase("DH1", "KH1", "2026-11-01T10:00:00+07:00", 1)); // 14 days ago
/// shop.push_order(&purchase("DH2", "KH2", "2026-10-15T00:00:00+07:00", 1)); // exactly 1 month
/// shop.push_order(&purchase("DH3", "KH3", "2026-07-01T10:00:00+07:00", 1)); // 4.5 months
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")).resolve()?;
/// // Cut-offs 2026-10-15, 2026-08-15, 2026-05-15: KH2 is on the first, so not before it.
/// assert_eq!(dormant_customers(&dataset, &context, &[1, 3, 6]), vec![1, 1, 0]);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn dormant_customers(dataset: &Dataset, context: &Context, months: &[u32]) -> Vec<u64> {
    match run(dataset, context, DormantTally::new(context, months)) {
        Ok(tally) => tally.counts,
        // OK because DormantTally::finish never fails.
        Err(_) => vec![0; months.len()],
    }
}

/// SPEC §3 `dormant_customers.never_ordered`: `count(customers with created_at <= as_of
/// and no purchase)` (SPEC §9.15).
///
/// # Edge cases
/// * Orders that are not completed (pending, failed, cancelled) are not purchases: a
///   customer with only those never ordered.
/// * A customer whose only purchase is after `as_of` has not ordered yet.
///
/// # Example
/// ```
/// # fn at(text: &str) -> chrono::DateTime<chrono::Utc> { chrono::DateTime::parse_from_rfc3339(text).unwrap().to_utc() }
/// # fn customer(id: &str, created: &str) -> crm_metrics::model::Customer {
/// #     crm_metrics::model::Customer { id: id.into(), created_at: at(created), source: crm_metrics::model::Source::Pos, name: None,
/// #         phone: None, email: None, gender: None, birth_date: None, zalo_id: None,
/// #         facebook_id: None, notes: None }
/// # }
/// # fn purchase(id: &str, customer: &str, created: &str, total: i64) -> crm_metrics::model::Order {
/// #     crm_metrics::model::Order { id: id.into(), customer_id: customer.into(), created_at: at(created),
/// #         status: crm_metrics::model::OrderStatus::Completed, total: total.into(), cost_of_goods: None,
/// #         source: None, fanpage_id: None, staff_id: None, voucher_code: None }
/// # }
/// use crm_metrics::customers::never_ordered;
/// use crm_metrics::model::{Order, OrderStatus};
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let mut shop = DatasetBuilder::new();
/// shop.push_customer(&customer("KH1", "2026-01-05T10:00:00+07:00"));
/// shop.push_customer(&customer("KH2", "2026-01-05T10:00:00+07:00"));
/// shop.push_order(&Order { status: OrderStatus::Cancelled,
///     ..purchase("DH1", "KH1", "2026-02-01T10:00:00+07:00", 1) });
/// shop.push_order(&purchase("DH2", "KH2", "2026-02-01T10:00:00+07:00", 1));
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")).resolve()?;
/// assert_eq!(never_ordered(&dataset, &context), 1); // KH1: a cancelled order only
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn never_ordered(dataset: &Dataset, context: &Context) -> u64 {
    // OK because DormantTally::finish never fails.
    run(dataset, context, DormantTally::new(context, &[]))
        .map(|tally| tally.never_ordered)
        .unwrap_or(0)
}

/// The exclusive cut-off of SPEC §3 `dormant_customers`: `today - months` calendar
/// months, clamped to the last day of a shorter month (SPEC §1, §9.15). A last purchase
/// on a local date strictly before it is dormant.
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

/// SPEC §3 `new_customers_daily`: one row per local date of the period, every date
/// (zero-filled), `{date, total, by_source}` where `total` counts customers created on
/// that date and `by_source` splits them by source.
///
/// # Edge cases
/// * Dates after `today` are present with zeros (SPEC §9.12); so is the rest of today
///   after `as_of`.
/// * `by_source` lists only non-zero sources, in SPEC §2's order; a day without new
///   customers has an empty `by_source`.
/// * Under DST a local date may be 23 or 25 hours long; each instant belongs to exactly
///   one date.
///
/// # Example
/// ```
/// # fn at(text: &str) -> chrono::DateTime<chrono::Utc> { chrono::DateTime::parse_from_rfc3339(text).unwrap().to_utc() }
/// # fn customer(id: &str, created: &str) -> crm_metrics::model::Customer {
/// #     crm_metrics::model::Customer { id: id.into(), created_at: at(created), source: crm_metrics::model::Source::Pos, name: None,
/// #         phone: None, email: None, gender: None, birth_date: None, zalo_id: None,
/// #         facebook_id: None, notes: None }
/// # }
/// use crm_metrics::calendar::Preset;
/// use crm_metrics::customers::new_customers_daily;
/// use crm_metrics::model::Source;
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let mut shop = DatasetBuilder::new();
/// shop.push_customer(&customer("KH1", "2026-11-14T00:00:00+07:00")); // local midnight
/// shop.push_customer(&customer("KH2", "2026-11-15T09:00:00+07:00"));
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00"))
///     .period(Preset::Last7Days)
///     .resolve()?;
/// let days = new_customers_daily(&dataset, &context);
/// assert_eq!(days.len(), 7);
/// assert_eq!(days[5].date.to_string(), "2026-11-14");
/// assert_eq!((days[5].total, days[5].by_source.get(Source::Pos)), (1, 1));
/// assert_eq!(days[0].total, 0); // zero-filled
/// # Ok::<(), crm_metrics::Error>(())
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

// ---------------------------------------------------------------------------------------
// Purchases of one customer (shared with customer_picture)
// ---------------------------------------------------------------------------------------

/// One customer's purchases (SPEC §1), summarized in one pass over its orders: how many,
/// their spend, their first and last local dates, the gaps between consecutive ones
/// counted in [`CycleBucket`]s, and how many carry a voucher or fall in the period.
///
/// A purchase is a `completed` order with `created_at <= as_of`; purchases are ordered by
/// `(created_at, id)`; local dates are taken in the report's time zone.
///
/// # Example
/// ```
/// # fn at(text: &str) -> chrono::DateTime<chrono::Utc> { chrono::DateTime::parse_from_rfc3339(text).unwrap().to_utc() }
/// # fn customer(id: &str, created: &str) -> crm_metrics::model::Customer {
/// #     crm_metrics::model::Customer { id: id.into(), created_at: at(created), source: crm_metrics::model::Source::Pos, name: None,
/// #         phone: None, email: None, gender: None, birth_date: None, zalo_id: None,
/// #         facebook_id: None, notes: None }
/// # }
/// # fn purchase(id: &str, customer: &str, created: &str, total: i64) -> crm_metrics::model::Order {
/// #     crm_metrics::model::Order { id: id.into(), customer_id: customer.into(), created_at: at(created),
/// #         status: crm_metrics::model::OrderStatus::Completed, total: total.into(), cost_of_goods: None,
/// #         source: None, fanpage_id: None, staff_id: None, voucher_code: None }
/// # }
/// use crm_metrics::customer_picture::CycleBucket;
/// use crm_metrics::customers::PurchaseSummary;
/// use rust_decimal::Decimal;
/// use crm_metrics::{DatasetBuilder, ReportOptions};
///
/// let mut shop = DatasetBuilder::new();
/// shop.push_customer(&customer("KH1", "2026-01-05T10:00:00+07:00"));
/// shop.push_order(&purchase("DH1", "KH1", "2026-03-01T09:00:00+07:00", 100_000));
/// shop.push_order(&purchase("DH2", "KH1", "2026-03-01T18:00:00+07:00", 50_000)); // same day
/// shop.push_order(&purchase("DH3", "KH1", "2026-03-11T09:00:00+07:00", 70_000)); // 10 days
/// let dataset = shop.build()?;
/// let context = ReportOptions::new(at("2026-11-15T10:00:00+07:00")).resolve()?;
/// let kh1 = dataset.customer_idx("KH1").unwrap();
/// let summary = PurchaseSummary::of(&dataset, &context, kh1);
/// assert_eq!(summary.purchases(), 3);
/// assert_eq!(summary.spend()?, Decimal::from(220_000));
/// assert_eq!(summary.last_purchase_on().unwrap().to_string(), "2026-03-11");
/// assert_eq!(summary.gaps(CycleBucket::SameDay), 1);
/// assert_eq!(summary.gaps(CycleBucket::OneWeek), 1);
/// // Gaps 0 and 10: the lower median is 0.
/// assert_eq!(summary.median_gap_bucket(), Some(CycleBucket::SameDay));
/// # Ok::<(), crm_metrics::Error>(())
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
    ///   (SPEC §9.20). So does an index that is not of this dataset.
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

    /// Number of purchases.
    pub fn purchases(&self) -> u64 {
        u64::from(self.purchases)
    }

    /// Purchases whose `created_at` is in the report's period (SPEC §6
    /// `spend_frequency`).
    pub fn period_purchases(&self) -> u64 {
        u64::from(self.period_purchases)
    }

    /// Purchases that carry a voucher code (SPEC §6 `voucher_customers`).
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
    /// of gaps (SPEC §6 `customer_cycle`); `None` with fewer than 2 purchases.
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

// ---------------------------------------------------------------------------------------
// Fold machinery shared by both customer sections
// ---------------------------------------------------------------------------------------

/// What a metric sees of one customer.
pub(crate) struct Facts<'a> {
    pub(crate) customer: CustomerIdx,
    pub(crate) row: &'a CustomerRow,
    /// Empty unless the metric asked for purchases.
    pub(crate) purchases: &'a PurchaseSummary,
}

/// One metric's partial state over customers. Like [`CustomerFold`], but fed a
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

/// A [`Tally`] as a [`CustomerFold`]: scans each customer's purchases (into a reused
/// summary) when the tally needs them, then adds the customer.
#[derive(Clone)]
pub(crate) struct TallyFold<'c, T> {
    context: &'c Context,
    summary: PurchaseSummary,
    tally: T,
}

impl<'c, T: Tally> TallyFold<'c, T> {
    pub(crate) fn new(context: &'c Context, tally: T) -> TallyFold<'c, T> {
        TallyFold {
            context,
            summary: PurchaseSummary::default(),
            tally,
        }
    }
}

impl<T: Tally> CustomerFold for TallyFold<'_, T> {
    type Output = T::Output;

    #[inline]
    fn add_customer(&mut self, dataset: &Dataset, customer: CustomerIdx) {
        let Some(row) = dataset.customers.get(customer.index()) else {
            return;
        };
        if T::PURCHASES && T::TOTALS_ONLY && !T::GAPS {
            self.summary.fill_totals(dataset, self.context, customer);
        } else if T::PURCHASES || T::GAPS {
            self.summary
                .scan(dataset.orders_of(customer), self.context, T::GAPS);
        }
        let facts = Facts {
            customer,
            row,
            purchases: &self.summary,
        };
        self.tally.add(dataset, self.context, &facts);
    }

    fn merge(&mut self, other: Self) {
        self.tally.merge(other.tally);
    }

    fn finish(self, _dataset: &Dataset) -> Result<T::Output> {
        self.tally.finish(self.context)
    }
}

/// Folds `tally` over the customers that exist at `as_of` and finishes it.
pub(crate) fn run<T: Tally>(dataset: &Dataset, context: &Context, tally: T) -> Result<T::Output> {
    let existing = dataset.existing(context.as_of_ts);
    run_range(dataset, context, 0..existing, tally)
}

/// Folds `tally` over the customers `range` (a subset of the existing ones) and
/// finishes it.
pub(crate) fn run_range<T: Tally>(
    dataset: &Dataset,
    context: &Context,
    range: std::ops::Range<usize>,
    tally: T,
) -> Result<T::Output> {
    fold_customers(dataset, range, || TallyFold::new(context, tally.clone())).finish(dataset)
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

/// An exact sum of per-customer sums ([`DecimalSum`]s), kept per scale.
///
/// A `DecimalSum` adds at the finest scale it has seen; once a few amounts with a
/// fraction lift a running total to scale 1, every customer whose own sum is at scale 0
/// would be rescaled when merged into it. Keeping one partial sum per scale makes every
/// merge a same-scale `i128` addition; [`finish`](ScaledSum::finish) adds the partial sums
/// once. Exact, like `DecimalSum`, in any split.
#[derive(Clone, Copy, Debug, Default)]
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

/// Customers, buyers, purchases and their spend (SPEC §3 `avg_spend_per_customer`,
/// §6 `total_customers`, `total_spend`, `invoices`).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct SpendTally {
    pub(crate) customers: u64,
    pub(crate) buyers: u64,
    pub(crate) invoices: u64,
    pub(crate) spend: ScaledSum,
}

impl SpendTally {
    fn avg_spend_per_customer(&self) -> Result<Option<Decimal>> {
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
        self.buyers += u64::from(purchases.purchases > 0);
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

// ---------------------------------------------------------------------------------------
// The section's metrics
// ---------------------------------------------------------------------------------------

/// New customers per source in the period and the previous one, and the contacts of the
/// current `webpush`/`form` ones.
#[derive(Clone, Copy, Debug, Default)]
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

    fn total(&self) -> Cmp<u64> {
        Cmp::counts(self.current.iter().sum(), self.previous.iter().sum())
    }

    fn group(&self, keep: fn(Source) -> bool) -> Cmp<u64> {
        let sum = |counts: &[u64; SOURCES]| -> u64 {
            Source::ALL
                .iter()
                .zip(counts)
                .filter(|(source, _)| keep(**source))
                .map(|(_, n)| n)
                .sum()
        };
        Cmp::counts(sum(&self.current), sum(&self.previous))
    }

    fn by_group(&self) -> NewCustomersByGroup {
        NewCustomersByGroup {
            synced: self.group(Source::is_synced),
            imported: self.group(Source::is_imported),
        }
    }

    fn by_source(&self) -> BySource<Cmp<u64>> {
        BySource(std::array::from_fn(|i| {
            Cmp::counts(self.current[i], self.previous[i])
        }))
    }

    fn webpush_form(&self) -> Cmp<u64> {
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
    type Output = Cmp<u64>;

    #[inline]
    fn add(&mut self, dataset: &Dataset, context: &Context, facts: &Facts<'_>) {
        // Interactions are sorted by time and the window is recent: only the run's tail
        // from the window's start is read, and nothing for a customer whose last
        // interaction is older (`Dataset::interactions_since`).
        let (mut current, mut previous) = (false, false);
        for interaction in dataset
            .interactions_since(facts.customer, self.window.start)
            .iter()
            .rev()
        {
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

    fn finish(self, _: &Context) -> Result<Cmp<u64>> {
        Ok(Cmp::counts(self.current, self.previous))
    }
}

/// Dormant customers for a list of months, and customers who never bought.
#[derive(Clone, Debug)]
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
        assert_eq!(s.new_customers, Cmp::counts(2, 1));
        assert_eq!(s.new_customers_by_group.synced, Cmp::counts(2, 0));
        assert_eq!(s.new_customers_by_group.imported, Cmp::counts(0, 0));
        assert_eq!(
            *s.new_customers_by_source.get(Source::Form),
            Cmp::counts(0, 1)
        );
        assert_eq!(s.webpush_form_customers, Cmp::counts(0, 1));
        // KH3 is a previous-period customer: current contacts are all zero.
        assert_eq!(s.webpush_form_contacts, WebpushFormContacts::default());
        // KH4's Zalo message does not count: KH4 does not exist at as_of.
        assert_eq!(s.zalo_oa_customers, Cmp::counts(0, 0));
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
            .time_zone("+00:00".parse().unwrap())
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
        assert_eq!(zalo_oa_customers(&data, &context()), Cmp::counts(1, 1));
        // Exactly at as_of is included (SPEC §9.13).
        let at_as_of = ReportOptions::new(at("2026-11-15T10:00:01+07:00"))
            .resolve()
            .unwrap();
        assert_eq!(zalo_oa_customers(&data, &at_as_of), Cmp::counts(2, 1));
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
        assert_eq!(webpush_form_customers(&data, &ctx), Cmp::counts(4, 0));
    }

    #[test]
    fn daily_rows_in_berlin_across_dst() {
        // October 2026 in Berlin has 31 days; the 25th is 25 hours long.
        let ctx = ReportOptions::new(at("2026-11-15T10:00:00+07:00"))
            .time_zone("Europe/Berlin".parse().unwrap())
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
        // Every source, in SPEC §2's order.
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
        assert_eq!(new_customers(&data, &ctx), Cmp::counts(1, 2));
    }
}
