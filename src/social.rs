//! The `social` section (docs/metrics.md#social), the social-chat overview of S4 (Sapo Chat
//! OmniAI): reach, care, orders and revenue through fanpages, the reach → care → order → delivery
//! funnel, reach by day and hour, and the staff table.
//!
//! # What counts
//! * A **social interaction** is one with a `fanpage_id`, known or not (an unknown id is
//!   kept with a warning, docs/metrics.md#social); a **social order** likewise. With a fanpage
//!   filter ([`Context::fanpages`]) only the named ids count, which may include unknown ids.
//! * **Reach** is inbound `message` + `comment`; **care** is any outbound `message` /
//!   `comment`, by a person or by automation (docs/metrics.md#social).
//! * Only interactions and orders of customers that exist at `as_of` count
//!   (docs/metrics.md#which-rows-count), and nothing after `as_of`.
//!
//! The section is a [`Fold`] ([`Partial`]): every per-customer fact (reached,
//! cared, first contact, the staff who replied to them) is settled inside
//! [`add_customer`](Fold::add_customer), so shards of customers merge exactly,
//! distinct counts included.
//!
//! # Example
//! ```
//! use chrono::{TimeZone, Utc};
//! use crm_metrics::{ReportOptions, calendar::Preset, sample::SampleOptions, social};
//!
//! let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
//! let dataset = SampleOptions::new(300).seed(7).as_of(as_of).dataset()?;
//! let context = ReportOptions::new(as_of).period(Preset::ThisMonth).resolve()?;
//! let section = social::section(&dataset, &context)?;
//! // The funnel never grows, and the daily reach adds up to the reach.
//! assert!(section.funnel.cared <= section.funnel.reached);
//! let daily: u64 = section.reach_daily.iter().map(|d| d.count).sum();
//! assert_eq!(daily, section.reached.current);
//! # Ok::<(), crm_metrics::Error>(())
//! ```

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::calendar::{Ts, weekday_index};
use crate::dataset::{CustomerIdx, Dataset, InteractionRow, OrderDetail};
use crate::error::{Error, Result};
use crate::fold::{Fold, Section, fold_customers};
use crate::money::{Comparison, DecimalSum, count_ratio};
use crate::options::{Context, ReportOptions};

/// `social` (docs/metrics.md#social). Keys serialize in the documented order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocialSection {
    /// Inbound social `message` + `comment` in the period (a count of messages, as S4
    /// defines reach).
    pub reached: Comparison<u64>,
    /// Distinct customers of those messages and comments.
    pub reached_customers: Comparison<u64>,
    /// Distinct customers who got an outbound social `message` or `comment` in the
    /// period, by a person or by automation.
    pub cared: Comparison<u64>,
    /// Placed (not cancelled) social orders created in the period.
    pub orders: Comparison<u64>,
    /// Cancelled social orders created in the period (docs/metrics.md#social).
    pub cancelled_orders: Comparison<u64>,
    /// Sum of totals of the placed social orders of the period.
    pub revenue: Comparison<Decimal>,
    /// Sum of `total - cost_of_goods` of the placed social orders of the period that
    /// have a `cost_of_goods`.
    pub gross_profit: Comparison<Decimal>,
    /// Placed social orders of the current period without `cost_of_goods` (left out of
    /// `gross_profit`).
    pub orders_missing_cost: u64,
    /// Accepted fanpages in the set with `activated`.
    pub activated_pages: u64,
    /// Sum of `linked_accounts` of the accepted fanpages in the set, activated or not.
    pub linked_accounts: u64,
    /// Customers whose first ever inbound social `message` / `comment` (up to `as_of`,
    /// on the selected pages) falls in the period.
    pub new_customers: Comparison<u64>,
    /// Reached → cared → ordered → delivered customers of the period, nested.
    pub funnel: Funnel,
    /// Inbound social messages + comments per local date of the period (every date).
    pub reach_daily: Vec<DailyReach>,
    /// Inbound social messages + comments of the period by local hour (hour 0 first).
    pub reach_by_hour: [u64; 24],
    /// All inbound social interactions of the period by local weekday (Monday first)
    /// and hour.
    pub interactions_by_weekday_hour: [[u64; 24]; 7],
    /// Staff sorted by revenue desc, customers_cared desc, staff_id asc.
    pub top_staff: Vec<StaffRow>,
}

/// `social.funnel` (docs/metrics.md#social): customers of the current period, each stage a subset
/// of the one before.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Funnel {
    /// Customers with an inbound social message or comment in the period.
    pub reached: u64,
    /// Of those, customers cared for in the period.
    pub cared: u64,
    /// Of those, customers with a placed social order in the period.
    pub ordered: u64,
    /// Of those, customers with a completed social order in the period.
    pub delivered: u64,
}

/// One row of `social.reach_daily`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyReach {
    /// The local date.
    pub date: NaiveDate,
    /// Inbound social messages + comments on that date.
    pub count: u64,
}

/// One row of `social.top_staff`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffRow {
    /// The staff id as written in the data.
    pub staff_id: String,
    /// The name from `staff.csv`; `None` for an id with no accepted staff row.
    pub name: Option<String>,
    /// Distinct customers they sent a non-automated outbound social message or comment
    /// to in the period.
    pub customers_cared: u64,
    /// Sum of totals of the placed social orders of the period with their `staff_id`.
    pub revenue: Decimal,
    /// Distinct customers of those orders.
    pub ordered_customers: u64,
    /// `ordered_customers / customers_cared` ([`conversion_rate`]).
    pub conversion_rate: Option<Decimal>,
}

/// Computes `social` (docs/metrics.md#social) in `context` (period and fanpage filter): a
/// [`Partial`] over the customers that exist at `as_of`.
///
/// Cost: one pass over each existing customer's interactions and orders from the start
/// of the earlier of the two periods (found by binary search) up to `as_of`, plus the
/// scan of a customer's interactions up to their first inbound social message; memory
/// `O(period days + staff)` per shard.
///
/// # Edge cases
/// * Social means any `fanpage_id`, also one with no accepted fanpage row; a filter id
///   that no row names selects nothing, and `activated_pages` / `linked_accounts` count
///   accepted fanpages only (docs/metrics.md#social).
/// * `cared` counts automated replies; `top_staff.customers_cared` does not. A staff
///   member with only a cancelled social order is listed with revenue 0 (docs/metrics.md#social).
/// * Rows of a customer created after `as_of` count nowhere, even when dated before
///   `as_of` (docs/metrics.md#which-rows-count).
/// * Days of the period after `today` are zero rows of `reach_daily` (docs/metrics.md#periods).
///
/// # Errors
/// [`Error::Overflow`] when a money sum does not fit in a decimal.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, calendar::Preset, sample::SampleOptions, social};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(300).seed(7).as_of(as_of).dataset()?;
/// let all = ReportOptions::new(as_of).period(Preset::Last30Days).resolve()?;
/// let section = social::section(&dataset, &all)?;
/// assert_eq!(section.reach_daily.len(), 30);
/// assert!(section.orders.current >= section.funnel.ordered);
///
/// // A fanpage id that no row names selects nothing.
/// let none = ReportOptions::new(as_of).fanpages(["FP_NONE"]).resolve()?;
/// let empty = social::section(&dataset, &none)?;
/// assert_eq!((empty.reached.current, empty.activated_pages), (0, 0));
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn section(dataset: &Dataset, context: &Context) -> Result<SocialSection> {
    let existing = dataset.existing(context.as_of_ts);
    let mut empty = Partial::with_context(context);
    empty.add_pages(dataset);
    fold_customers(dataset, 0..existing, || empty.clone())?.finish()
}

// ---------------------------------------------------------------------------------------
// One metric at a time
// ---------------------------------------------------------------------------------------

/// Inbound social messages and comments on the selected fanpages, in the period against the previous period. Field `social.reached`.
///
/// Equal to [`section`]'s field; it costs the same single pass over the customers.
///
/// # Edge cases
/// * Interactions after `as_of`, or of customers created after it, are not counted.
/// * An interaction without a fanpage is not social and never counts.
///
/// # Errors
/// [`Error::Overflow`] when a money sum of the section does not fit in a decimal.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, sample::SampleOptions, social};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(200).seed(4).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let value = social::reach(&dataset, &context)?;
/// assert_eq!(value, social::section(&dataset, &context)?.reached);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn reach(dataset: &Dataset, context: &Context) -> Result<Comparison<u64>> {
    Ok(section(dataset, context)?.reached)
}

/// Distinct customers with an inbound social message or comment in the period, against the previous period. Field `social.reached_customers`.
///
/// Equal to [`section`]'s field; it costs the same single pass over the customers.
///
/// # Edge cases
/// * A customer counts once however many messages they sent.
///
/// # Errors
/// [`Error::Overflow`] when a money sum of the section does not fit in a decimal.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, sample::SampleOptions, social};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(200).seed(4).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let value = social::reached_customers(&dataset, &context)?;
/// assert_eq!(value, social::section(&dataset, &context)?.reached_customers);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn reached_customers(dataset: &Dataset, context: &Context) -> Result<Comparison<u64>> {
    Ok(section(dataset, context)?.reached_customers)
}

/// Distinct customers who got an outbound social message or comment (automated replies included) in the period, against the previous period. Field `social.cared`.
///
/// Equal to [`section`]'s field; it costs the same single pass over the customers.
///
/// # Edge cases
/// * Automated replies count here, not in `top_staff`.
///
/// # Errors
/// [`Error::Overflow`] when a money sum of the section does not fit in a decimal.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, sample::SampleOptions, social};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(200).seed(4).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let value = social::cared(&dataset, &context)?;
/// assert_eq!(value, social::section(&dataset, &context)?.cared);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn cared(dataset: &Dataset, context: &Context) -> Result<Comparison<u64>> {
    Ok(section(dataset, context)?.cared)
}

/// Placed (not cancelled) social orders on the selected fanpages, in the period against the previous period. Field `social.orders`.
///
/// Equal to [`section`]'s field; it costs the same single pass over the customers.
///
/// # Edge cases
/// * An order without a fanpage is not social.
///
/// # Errors
/// [`Error::Overflow`] when a money sum of the section does not fit in a decimal.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, sample::SampleOptions, social};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(200).seed(4).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let value = social::orders(&dataset, &context)?;
/// assert_eq!(value, social::section(&dataset, &context)?.orders);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn orders(dataset: &Dataset, context: &Context) -> Result<Comparison<u64>> {
    Ok(section(dataset, context)?.orders)
}

/// Cancelled social orders, in the period against the previous period. Field `social.cancelled_orders`.
///
/// Equal to [`section`]'s field; it costs the same single pass over the customers.
///
/// # Errors
/// [`Error::Overflow`] when a money sum of the section does not fit in a decimal.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, sample::SampleOptions, social};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(200).seed(4).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let value = social::cancelled_orders(&dataset, &context)?;
/// assert_eq!(value, social::section(&dataset, &context)?.cancelled_orders);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn cancelled_orders(dataset: &Dataset, context: &Context) -> Result<Comparison<u64>> {
    Ok(section(dataset, context)?.cancelled_orders)
}

/// Sum of the totals of placed social orders, in the period against the previous period. Field `social.revenue`.
///
/// Equal to [`section`]'s field; it costs the same single pass over the customers.
///
/// # Errors
/// [`Error::Overflow`] when a money sum of the section does not fit in a decimal.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, sample::SampleOptions, social};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(200).seed(4).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let value = social::revenue(&dataset, &context)?;
/// assert_eq!(value, social::section(&dataset, &context)?.revenue);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn revenue(dataset: &Dataset, context: &Context) -> Result<Comparison<Decimal>> {
    Ok(section(dataset, context)?.revenue)
}

/// `sum(total - cost_of_goods)` over placed social orders that have a cost of goods, in the period against the previous period. Field `social.gross_profit`.
///
/// Equal to [`section`]'s field; it costs the same single pass over the customers.
///
/// # Edge cases
/// * Orders without `cost_of_goods` are left out (and counted by `orders_missing_cost`).
///
/// # Errors
/// [`Error::Overflow`] when a money sum of the section does not fit in a decimal.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, sample::SampleOptions, social};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(200).seed(4).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let value = social::gross_profit(&dataset, &context)?;
/// assert_eq!(value, social::section(&dataset, &context)?.gross_profit);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn gross_profit(dataset: &Dataset, context: &Context) -> Result<Comparison<Decimal>> {
    Ok(section(dataset, context)?.gross_profit)
}

/// Placed social orders of the period without a `cost_of_goods`. Field `social.orders_missing_cost`.
///
/// Equal to [`section`]'s field; it costs the same single pass over the customers.
///
/// # Errors
/// [`Error::Overflow`] when a money sum of the section does not fit in a decimal.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, sample::SampleOptions, social};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(200).seed(4).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let value = social::orders_missing_cost(&dataset, &context)?;
/// assert_eq!(value, social::section(&dataset, &context)?.orders_missing_cost);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn orders_missing_cost(dataset: &Dataset, context: &Context) -> Result<u64> {
    Ok(section(dataset, context)?.orders_missing_cost)
}

/// Customers whose first inbound social message or comment (all time, on the selected fanpages) falls in the period, against the previous period. Field `social.new_customers`.
///
/// Equal to [`section`]'s field; it costs the same single pass over the customers.
///
/// # Edge cases
/// * A first contact before the period makes the customer not new, even with messages in it.
///
/// # Errors
/// [`Error::Overflow`] when a money sum of the section does not fit in a decimal.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, sample::SampleOptions, social};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(200).seed(4).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let value = social::new_customers(&dataset, &context)?;
/// assert_eq!(value, social::section(&dataset, &context)?.new_customers);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn new_customers(dataset: &Dataset, context: &Context) -> Result<Comparison<u64>> {
    Ok(section(dataset, context)?.new_customers)
}

/// The care funnel of the period: customers reached, of those cared for, of those who placed a social order, of those with a completed one. Field `social.funnel`.
///
/// Equal to [`section`]'s field; it costs the same single pass over the customers.
///
/// # Edge cases
/// * Each stage is a subset of the one before: the funnel never grows.
///
/// # Errors
/// [`Error::Overflow`] when a money sum of the section does not fit in a decimal.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, sample::SampleOptions, social};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(200).seed(4).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let value = social::funnel(&dataset, &context)?;
/// assert_eq!(value, social::section(&dataset, &context)?.funnel);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn funnel(dataset: &Dataset, context: &Context) -> Result<Funnel> {
    Ok(section(dataset, context)?.funnel)
}

/// Inbound social messages and comments per local day of the period, one row per date. Field `social.reach_daily`.
///
/// Equal to [`section`]'s field; it costs the same single pass over the customers.
///
/// # Edge cases
/// * Days of the period after `today` are rows of zero.
///
/// # Errors
/// [`Error::Overflow`] when a money sum of the section does not fit in a decimal.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, sample::SampleOptions, social};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(200).seed(4).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let value = social::reach_daily(&dataset, &context)?;
/// assert_eq!(value, social::section(&dataset, &context)?.reach_daily);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn reach_daily(dataset: &Dataset, context: &Context) -> Result<Vec<DailyReach>> {
    Ok(section(dataset, context)?.reach_daily)
}

/// Staff members with a non-automated reply or a social order in the period: customers cared, revenue, ordered customers and conversion rate, sorted by revenue, then customers cared (both descending), then id. Field `social.top_staff`.
///
/// Equal to [`section`]'s field; it costs the same single pass over the customers.
///
/// # Edge cases
/// * A staff member with only a cancelled order is listed with revenue 0.
///
/// # Errors
/// [`Error::Overflow`] when a money sum of the section does not fit in a decimal.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, sample::SampleOptions, social};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(200).seed(4).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let value = social::top_staff(&dataset, &context)?;
/// assert_eq!(value, social::section(&dataset, &context)?.top_staff);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn top_staff(dataset: &Dataset, context: &Context) -> Result<Vec<StaffRow>> {
    Ok(section(dataset, context)?.top_staff)
}

/// `interactions_by_weekday_hour` (docs/metrics.md#social) alone: inbound social interactions (any
/// kind) in the period, by local weekday (Monday first) and local hour, over the customers
/// that exist at `as_of` and the selected fanpages.
///
/// Equal to the section's field; computed from the dataset's time index of inbound
/// social interactions, so its cost is a binary search plus the period's entries,
/// whatever the number of customers.
///
/// # Edge cases
/// * Interactions after `as_of`, or of customers created after it, are not counted.
/// * An interaction without a fanpage is not social and never counts.
/// * Under DST, a local hour that happens twice counts both (local time, docs/metrics.md#time).
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, sample::SampleOptions, social};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(300).seed(4).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let grid = social::interactions_by_weekday_hour(&dataset, &context);
/// assert_eq!(grid, social::section(&dataset, &context)?.interactions_by_weekday_hour);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn interactions_by_weekday_hour(dataset: &Dataset, context: &Context) -> [[u64; 24]; 7] {
    let mut grid = [[0u64; 24]; 7];
    for_each_inbound(dataset, context, |day, hour, _| {
        if let Some(count) = grid
            .get_mut(weekday_index(day))
            .and_then(|row| row.get_mut(hour))
        {
            *count += 1;
        }
    });
    grid
}

/// `reach_by_hour` (docs/metrics.md#social) alone: inbound social messages and comments in the
/// period by local hour; equal to the section's field, from the same time index as
/// [`interactions_by_weekday_hour`].
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, sample::SampleOptions, social};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(300).seed(4).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let by_hour = social::reach_by_hour(&dataset, &context);
/// assert_eq!(by_hour.iter().sum::<u64>(), social::section(&dataset, &context)?.reached.current);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn reach_by_hour(dataset: &Dataset, context: &Context) -> [u64; 24] {
    let mut hours = [0u64; 24];
    for_each_inbound(dataset, context, |_, hour, message| {
        if let (true, Some(count)) = (message, hours.get_mut(hour)) {
            *count += 1;
        }
    });
    hours
}

/// Calls `f(local day, local hour, is message or comment)` for every inbound social
/// interaction of the period counted by the social section (existing customers, selected pages,
/// not after `as_of`).
fn for_each_inbound(dataset: &Dataset, context: &Context, mut f: impl FnMut(i64, usize, bool)) {
    let pages = PageScope::new(dataset, context);
    for entry in dataset.inbound.between(&context.current, context.as_of_ts) {
        // The customer exists at `as_of`.
        if entry.created_at <= context.as_of_ts && pages.contains(entry.fanpage) {
            let (day, hour) = context.calendar.local_day_hour(entry.at);
            f(day, hour as usize, entry.message_or_comment);
        }
    }
}

/// Staff conversion rate: `ordered_customers / customers_cared`. Field
/// `social.top_staff[].conversion_rate`.
///
/// # Edge cases
/// * `customers_cared == 0` gives `None` (JSON `null`): a staff member listed only for
///   orders has no rate.
/// * It may exceed 1 (docs/metrics.md#social): customers can order through a staff member who never
///   replied to them.
///
/// # Example
/// ```
/// use crm_metrics::social::conversion_rate;
/// use rust_decimal::Decimal;
///
/// assert_eq!(conversion_rate(2, 5), Some(Decimal::new(4, 1))); // 2 / 5 = 0.4
/// assert_eq!(conversion_rate(3, 1), Some(Decimal::from(3))); // above 1
/// assert_eq!(conversion_rate(2, 0), None);
/// ```
pub fn conversion_rate(ordered_customers: u64, customers_cared: u64) -> Option<Decimal> {
    count_ratio(ordered_customers, customers_cared)
}

/// `activated_pages` and `linked_accounts` (docs/metrics.md#social) under a fanpage filter.
///
/// `activated_pages` = accepted fanpages in the set with `activated`;
/// `linked_accounts` = sum of `linked_accounts` over the accepted fanpages in the set,
/// activated or not (docs/metrics.md#social). The set is every accepted fanpage without a filter,
/// else the named ids that have an accepted row.
///
/// # Edge cases
/// * A filter naming only unknown ids gives `(0, 0)`.
///
/// # Errors
/// [`Error::CountOverflow`] when `linked_accounts` does not fit in a `u64`.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, sample::SampleOptions, social};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(100).as_of(as_of).dataset()?;
/// let all = ReportOptions::new(as_of).resolve()?;
/// let (activated, linked) = social::page_counts(&dataset, &all)?;
/// assert!(activated > 0 && linked >= activated);
/// let unknown = ReportOptions::new(as_of).fanpages(["nope"]).resolve()?;
/// assert_eq!(social::page_counts(&dataset, &unknown)?, (0, 0));
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn page_counts(dataset: &Dataset, context: &Context) -> Result<(u64, u64)> {
    let (activated, linked) = page_totals(dataset, context);
    let linked = linked.ok_or_else(|| Error::count_overflow("social.linked_accounts"))?;
    Ok((activated, linked))
}

/// [`page_counts`] with `None` for a `linked_accounts` that overflows.
fn page_totals(dataset: &Dataset, context: &Context) -> (u64, Option<u64>) {
    let pages = PageScope::new(dataset, context);
    let (mut activated, mut linked) = (0u64, Some(0u64));
    for key in 0..dataset.fanpages.known {
        if !pages.contains(key) {
            continue;
        }
        if let Some(info) = dataset.fanpages.info(key) {
            activated += u64::from(info.activated);
            linked = linked.and_then(|sum| sum.checked_add(info.linked_accounts));
        }
    }
    (activated, linked)
}

/// The fanpages in scope: every fanpage without a filter, else the named ones by key.
#[derive(Clone, Debug)]
struct PageScope {
    /// `None`: all; else `selected[key]` for every fanpage key of the dataset.
    selected: Option<Vec<bool>>,
}

impl PageScope {
    fn new(dataset: &Dataset, context: &Context) -> PageScope {
        if context.fanpages.is_empty() {
            return PageScope { selected: None };
        }
        let mut selected = vec![false; dataset.fanpages.keys.len()];
        for id in &context.fanpages {
            if let Some(slot) = dataset
                .fanpages
                .keys
                .get(id)
                .and_then(|key| selected.get_mut(key as usize))
            {
                *slot = true;
            }
        }
        PageScope {
            selected: Some(selected),
        }
    }

    #[inline]
    fn contains(&self, key: u32) -> bool {
        match &self.selected {
            None => true,
            Some(selected) => selected.get(key as usize).copied().unwrap_or(false),
        }
    }
}

/// One staff member's tally in a partial state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct StaffTally {
    /// The staff member's name, when a staff row has one.
    name: Option<String>,
    customers_cared: u64,
    revenue: DecimalSum,
    ordered_customers: u64,
    /// Had a non-automated outbound social message/comment or a social order of any
    /// status in the period.
    listed: bool,
}

/// `activated_pages` and `linked_accounts` of the fanpage table, as a partial state
/// keeps them (the table is the dataset's, not a customer's).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct PageCounts {
    activated: u64,
    /// `None` when the sum overflowed a `u64`.
    linked: Option<u64>,
}

/// Index of the current period in the two-slot arrays below; the previous is 1.
const CURRENT: usize = 0;
const PREVIOUS: usize = 1;

/// The partial state of `social` (docs/metrics.md#social) over a set of customers: a [`Fold`].
///
/// Make one per shard ([`Fold::new`] or [`Partial::with_context`]), fold customers into
/// it ([`fold_shard`](crate::fold::fold_shard) or [`fold_customers`]),
/// [`merge`](Fold::merge) shards, and [`finish`](Fold::finish). Counts add and money
/// sums are exact ([`DecimalSum`]); distinct customers (reached, cared, funnel stages,
/// new customers) and distinct (staff, customer) pairs are settled inside
/// `add_customer`, since a shard holds whole customers: any split of the customers
/// merges to exactly the whole-dataset result.
///
/// Owned: staff are keyed by their own ids (with their names), the fanpage filter is the
/// options' ids, and the fanpage table's `activated_pages` and `linked_accounts` are
/// recorded from the dataset by the first existing customer added (or by
/// [`add_pages`](Partial::add_pages)); states from datasets whose fanpage tables differ
/// do not merge. With the `serde` feature it serializes.
///
/// A customer created after `as_of`, or an index outside the dataset, adds nothing
/// (docs/metrics.md#which-rows-count).
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::fold::{Fold, fold_customers, fold_shard};
/// use crm_metrics::{ReportOptions, sample::SampleOptions, social::Partial};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(300).seed(3).as_of(as_of).dataset()?;
/// let options = ReportOptions::new(as_of);
/// let customers: Vec<_> = dataset.customer_indices().collect();
/// let (left, right) = customers.split_at(120);
/// let mut a = Partial::new(&options)?;
/// fold_shard(&mut a, &dataset, left.iter().copied());
/// let mut b = Partial::new(&options)?;
/// fold_shard(&mut b, &dataset, right.iter().copied());
/// a.merge(b)?;
/// let empty = Partial::new(&options)?;
/// let whole = fold_customers(&dataset, 0..dataset.customer_count(), || empty.clone())?;
/// assert_eq!(a.finish()?, whole.finish()?);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Partial {
    context: Context,
    /// The earlier start of the two periods: where a customer's rows start to matter
    /// (besides their first contact).
    window_start: Ts,
    /// The fanpage table's counts, once a dataset was seen.
    pages: Option<PageCounts>,
    counts: Counts,
    /// Scratch for the customer being added; not part of the state.
    #[cfg_attr(feature = "serde", serde(skip))]
    scratch: Scratch,
    /// Staff keys of the dataset being read; not part of the state.
    #[cfg_attr(feature = "serde", serde(skip))]
    slots: StaffSlots,
}

/// What a social partial state counts.
#[derive(Clone, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct Counts {
    reached: [u64; 2],
    reached_customers: [u64; 2],
    cared: [u64; 2],
    orders: [u64; 2],
    cancelled_orders: [u64; 2],
    revenue: [DecimalSum; 2],
    gross_profit: [DecimalSum; 2],
    orders_missing_cost: u64,
    new_customers: [u64; 2],
    funnel: Funnel,
    /// Per day of the period.
    reach_daily: Vec<u64>,
    reach_by_hour: [u64; 24],
    weekday_hour: [[u64; 24]; 7],
    /// By staff id, in order of first use (ids are unique).
    staff: Vec<StaffEntry>,
}

/// One staff member's tally, keyed by the staff id of the input.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
struct StaffEntry {
    id: String,
    tally: StaffTally,
}

/// Where the staff keys of the dataset being read sit in [`Counts::staff`]: found by id
/// on first use, so that the per-row path is an array read, not a string look-up.
#[derive(Clone, Debug, Default)]
struct StaffSlots {
    /// Which dataset the slots are for: its address, staff count and staff-text
    /// address. A different dataset (or a state just deserialized) starts afresh.
    dataset: (usize, usize, usize),
    /// By dataset staff key: the position in `Counts::staff`, `u32::MAX` until used.
    slots: Vec<u32>,
}

impl StaffSlots {
    /// Makes the slots those of `dataset`.
    #[inline]
    fn use_dataset(&mut self, dataset: &Dataset) {
        let count = dataset.staff.keys.len();
        let text = if count > 0 {
            dataset.staff.id(0).as_ptr() as usize
        } else {
            0
        };
        let identity = (std::ptr::from_ref(dataset) as usize, count, text);
        if self.dataset != identity {
            self.dataset = identity;
            self.slots.clear();
            self.slots.resize(count, u32::MAX);
        }
    }
}

/// Per-customer scratch, reused (no allocation per customer): staff keys of the dataset
/// being read.
#[derive(Clone, Debug, Default)]
struct Scratch {
    /// Staff who replied (not automated) to the current customer in the period.
    cared_by: Vec<u32>,
    /// Staff of the current customer's placed social orders in the period.
    ordered_through: Vec<u32>,
}

impl Partial {
    /// An empty partial state for the report resolved as `context` (period and
    /// fanpage filter).
    pub fn with_context(context: &Context) -> Partial {
        Partial {
            context: context.clone(),
            window_start: context.current.start.min(context.prior.start),
            pages: None,
            counts: Counts {
                reach_daily: vec![0; context.period_days()],
                ..Counts::default()
            },
            scratch: Scratch::default(),
            slots: StaffSlots::default(),
        }
    }

    /// The context the state was made in.
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// Records `activated_pages` and `linked_accounts` of the dataset's fanpage table
    /// under the fanpage filter, if not recorded yet: the first existing customer added
    /// does it, so only a state that never sees a customer needs this call.
    pub fn add_pages(&mut self, dataset: &Dataset) {
        if self.pages.is_none() {
            let (activated, linked) = page_totals(dataset, &self.context);
            self.pages = Some(PageCounts { activated, linked });
        }
    }
}

/// Whether a fanpage key of `dataset` is selected by the context's filter (by id).
#[inline]
fn selects_page(context: &Context, dataset: &Dataset, key: u32) -> bool {
    context.fanpages.is_empty() || context.fanpages.contains(dataset.fanpages.id(key))
}

/// Whether a social interaction is on a selected page.
#[inline]
fn selects_interaction(context: &Context, dataset: &Dataset, row: &InteractionRow) -> bool {
    row.is_social()
        && row
            .fanpage
            .get()
            .is_some_and(|key| selects_page(context, dataset, key))
}

/// Whether a social order is on a selected page.
#[inline]
fn selects_order(context: &Context, dataset: &Dataset, detail: &OrderDetail) -> bool {
    detail
        .fanpage
        .get()
        .is_some_and(|key| selects_page(context, dataset, key))
}

/// The ranges an instant falls in: `CURRENT`, `PREVIOUS`, both (a comparison range
/// may overlap the period: `year_ago` of `this_year` shares a day or two with it, and a
/// custom range can share any part) or neither. An event counts in each.
#[inline]
fn periods_of(context: &Context, at: Ts) -> impl Iterator<Item = usize> {
    [
        (CURRENT, context.in_current(at)),
        (PREVIOUS, context.in_previous(at)),
    ]
    .into_iter()
    .filter_map(|(period, within)| within.then_some(period))
}

impl Counts {
    /// The tally of the staff member with key `key` in `dataset` (whose `slots` are
    /// given), made on first use.
    #[inline]
    fn staff_mut(
        &mut self,
        slots: &mut StaffSlots,
        dataset: &Dataset,
        key: u32,
    ) -> Option<&mut StaffTally> {
        let slot = slots.slots.get_mut(key as usize)?;
        if *slot == u32::MAX {
            *slot = u32::try_from(self.staff_position(dataset, key)).ok()?;
        }
        self.staff
            .get_mut(*slot as usize)
            .map(|entry| &mut entry.tally)
    }

    /// The position of a staff member's entry, by id; appended when missing.
    #[cold]
    fn staff_position(&mut self, dataset: &Dataset, key: u32) -> usize {
        let id = dataset.staff.id(key);
        match self.staff.iter().position(|entry| entry.id == id) {
            Some(position) => position,
            None => {
                self.staff.push(StaffEntry {
                    id: id.to_owned(),
                    tally: StaffTally {
                        name: dataset.staff.info(key).cloned(),
                        ..StaffTally::default()
                    },
                });
                self.staff.len() - 1
            }
        }
    }
}

impl Fold for Partial {
    type Output = SocialSection;

    fn new(options: &ReportOptions) -> Result<Partial> {
        Ok(Partial::with_context(&options.resolve()?))
    }

    fn add_customer(&mut self, dataset: &Dataset, customer: CustomerIdx) {
        let as_of = self.context.as_of_ts;
        match dataset.customers.get(customer.index()) {
            Some(row) if row.created_at <= as_of => {}
            _ => return,
        }
        self.add_pages(dataset);
        let Partial {
            context,
            window_start,
            counts,
            scratch,
            slots,
            ..
        } = self;
        slots.use_dataset(dataset);
        let context = &*context;
        let window_start = *window_start;

        // Interactions. First contact: all time up to as_of, on the selected pages.
        let first_contact = if context.fanpages.is_empty() {
            // Every page: the dataset knows each customer's first one (any `as_of`:
            // if it is after `as_of` there is none up to `as_of`, and `periods_of` says so).
            dataset
                .first_social_message
                .get(customer.index())
                .copied()
                .flatten()
        } else {
            dataset
                .interactions_of(customer)
                .iter()
                .take_while(|i| i.at <= as_of)
                .find(|i| {
                    i.is_inbound()
                        && i.kind.is_message_or_comment()
                        && selects_interaction(context, dataset, i)
                })
                .map(|i| i.at)
        };
        for period in first_contact
            .into_iter()
            .flat_map(|at| periods_of(context, at))
        {
            counts.new_customers[period] += 1;
        }
        let interactions = dataset.interactions_since(customer, window_start);
        let (first_order, window_orders) = dataset.orders_since(customer, window_start);
        if interactions.is_empty() && window_orders.is_empty() {
            // Nothing in the window: no reach, care, orders or staff for this customer.
            return;
        }
        let (mut reached, mut cared) = ([false; 2], [false; 2]);
        scratch.cared_by.clear();
        for i in interactions {
            if i.at > as_of {
                break;
            }
            if !selects_interaction(context, dataset, i) {
                continue;
            }
            let message = i.kind.is_message_or_comment();
            for period in periods_of(context, i.at) {
                if i.is_inbound() {
                    if message {
                        reached[period] = true;
                        counts.reached[period] += 1;
                    }
                    if period == CURRENT {
                        let (day, hour) = context.calendar.local_day_hour(i.at);
                        let hour = hour as usize;
                        if message {
                            let row = usize::try_from(day - context.first_day).ok();
                            if let Some(count) = row.and_then(|r| counts.reach_daily.get_mut(r)) {
                                *count += 1;
                            }
                            if let Some(count) = counts.reach_by_hour.get_mut(hour) {
                                *count += 1;
                            }
                        }
                        if let Some(count) = counts
                            .weekday_hour
                            .get_mut(weekday_index(day))
                            .and_then(|row| row.get_mut(hour))
                        {
                            *count += 1;
                        }
                    }
                } else if message {
                    cared[period] = true;
                    if period == CURRENT
                        && !i.automated
                        && let Some(staff) = i.staff.get()
                    {
                        scratch.cared_by.push(staff);
                    }
                }
            }
        }

        // Orders.
        let (mut ordered, mut delivered) = (false, false);
        scratch.ordered_through.clear();
        for (position, o) in (first_order..).zip(window_orders) {
            if o.created_at > as_of {
                break;
            }
            if !o.is_social() {
                continue;
            }
            let Some(detail) = dataset.order_detail(position) else {
                continue;
            };
            if !selects_order(context, dataset, detail) {
                continue;
            }
            let staff = detail.staff.get();
            for period in periods_of(context, o.created_at) {
                if period == CURRENT
                    && let Some(tally) = staff.and_then(|s| counts.staff_mut(slots, dataset, s))
                {
                    tally.listed = true;
                }
                if !o.is_placed() {
                    counts.cancelled_orders[period] += 1;
                    continue;
                }
                counts.orders[period] += 1;
                counts.revenue[period].add(o.total);
                match detail.cost_of_goods {
                    Some(cost) => {
                        counts.gross_profit[period].add(o.total);
                        counts.gross_profit[period].add(-cost);
                    }
                    None if period == CURRENT => counts.orders_missing_cost += 1,
                    None => {}
                }
                if period == CURRENT {
                    ordered = true;
                    delivered |= o.is_completed();
                    if let Some(s) = staff {
                        if let Some(tally) = counts.staff_mut(slots, dataset, s) {
                            tally.revenue.add(o.total);
                        }
                        scratch.ordered_through.push(s);
                    }
                }
            }
        }

        // Settle this customer's distinct counts.
        for period in [CURRENT, PREVIOUS] {
            counts.reached_customers[period] += u64::from(reached[period]);
            counts.cared[period] += u64::from(cared[period]);
        }
        if reached[CURRENT] {
            counts.funnel.reached += 1;
            if cared[CURRENT] {
                counts.funnel.cared += 1;
                if ordered {
                    counts.funnel.ordered += 1;
                    // A completed order is a placed one: delivered implies ordered.
                    counts.funnel.delivered += u64::from(delivered);
                }
            }
        }
        scratch.cared_by.sort_unstable();
        scratch.cared_by.dedup();
        for &s in &scratch.cared_by {
            if let Some(tally) = counts.staff_mut(slots, dataset, s) {
                tally.customers_cared += 1;
                tally.listed = true;
            }
        }
        scratch.ordered_through.sort_unstable();
        scratch.ordered_through.dedup();
        for &s in &scratch.ordered_through {
            if let Some(tally) = counts.staff_mut(slots, dataset, s) {
                tally.ordered_customers += 1;
            }
        }
    }

    fn merge(&mut self, other: Partial) -> Result<()> {
        fn add<const N: usize>(a: &mut [u64; N], b: &[u64; N]) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        self.context.check_same(&other.context, Partial::NAME)?;
        match (self.pages, other.pages) {
            (None, pages) => self.pages = pages,
            (Some(mine), Some(theirs)) if mine != theirs => {
                return Err(Error::InvalidArgument(
                    "cannot merge social partial states of datasets with different fanpage tables"
                        .to_owned(),
                ));
            }
            _ => {}
        }
        let (a, b) = (&mut self.counts, other.counts);
        add(&mut a.reached, &b.reached);
        add(&mut a.reached_customers, &b.reached_customers);
        add(&mut a.cared, &b.cared);
        add(&mut a.orders, &b.orders);
        add(&mut a.cancelled_orders, &b.cancelled_orders);
        add(&mut a.new_customers, &b.new_customers);
        for period in [CURRENT, PREVIOUS] {
            a.revenue[period].merge(&b.revenue[period]);
            a.gross_profit[period].merge(&b.gross_profit[period]);
        }
        a.orders_missing_cost += b.orders_missing_cost;
        a.funnel.reached += b.funnel.reached;
        a.funnel.cared += b.funnel.cared;
        a.funnel.ordered += b.funnel.ordered;
        a.funnel.delivered += b.funnel.delivered;
        for (x, y) in a.reach_daily.iter_mut().zip(&b.reach_daily) {
            *x += y;
        }
        add(&mut a.reach_by_hour, &b.reach_by_hour);
        for (row, other_row) in a.weekday_hour.iter_mut().zip(&b.weekday_hour) {
            add(row, other_row);
        }
        let mut positions: BTreeMap<String, usize> = (a.staff.iter().enumerate())
            .map(|(position, entry)| (entry.id.clone(), position))
            .collect();
        for StaffEntry { id, tally: theirs } in b.staff {
            let position = *positions.entry(id.clone()).or_insert_with(|| {
                a.staff.push(StaffEntry {
                    id,
                    tally: StaffTally::default(),
                });
                a.staff.len() - 1
            });
            let Some(mine) = a.staff.get_mut(position).map(|entry| &mut entry.tally) else {
                continue;
            };
            if mine.name.is_none() {
                mine.name = theirs.name;
            }
            mine.customers_cared += theirs.customers_cared;
            mine.revenue.merge(&theirs.revenue);
            mine.ordered_customers += theirs.ordered_customers;
            mine.listed |= theirs.listed;
        }
        Ok(())
    }

    fn finish(self) -> Result<SocialSection> {
        let counts = self.counts;
        let money = |sums: &[DecimalSum; 2], what: &'static str| -> Result<Comparison<Decimal>> {
            Comparison::amounts(
                what,
                sums[CURRENT].finish(what)?,
                sums[PREVIOUS].finish(what)?,
            )
        };
        let pair = |c: [u64; 2]| Comparison::counts(c[CURRENT], c[PREVIOUS]);
        let pages = self.pages.unwrap_or(PageCounts {
            activated: 0,
            linked: Some(0),
        });
        let linked_accounts = pages
            .linked
            .ok_or_else(|| Error::count_overflow("social.linked_accounts"))?;
        let mut top_staff = Vec::new();
        for StaffEntry {
            id: staff_id,
            tally,
        } in counts.staff
        {
            if !tally.listed {
                continue;
            }
            top_staff.push(StaffRow {
                staff_id,
                name: tally.name,
                customers_cared: tally.customers_cared,
                revenue: tally.revenue.finish("social.top_staff.revenue")?,
                ordered_customers: tally.ordered_customers,
                conversion_rate: conversion_rate(tally.ordered_customers, tally.customers_cared),
            });
        }
        top_staff.sort_by(|a, b| {
            b.revenue
                .cmp(&a.revenue)
                .then(b.customers_cared.cmp(&a.customers_cared))
                .then_with(|| a.staff_id.cmp(&b.staff_id))
        });
        Ok(SocialSection {
            reached: pair(counts.reached),
            reached_customers: pair(counts.reached_customers),
            cared: pair(counts.cared),
            orders: pair(counts.orders),
            cancelled_orders: pair(counts.cancelled_orders),
            revenue: money(&counts.revenue, "social.revenue")?,
            gross_profit: money(&counts.gross_profit, "social.gross_profit")?,
            orders_missing_cost: counts.orders_missing_cost,
            activated_pages: pages.activated,
            linked_accounts,
            new_customers: pair(counts.new_customers),
            funnel: counts.funnel,
            reach_daily: self
                .context
                .period
                .dates()
                .zip(&counts.reach_daily)
                .map(|(date, &count)| DailyReach { date, count })
                .collect(),
            reach_by_hour: counts.reach_by_hour,
            interactions_by_weekday_hour: counts.weekday_hour,
            top_staff,
        })
    }
}

impl Section for Partial {
    const NAME: &'static str = "social";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ReportOptions;
    use crate::calendar::Period;
    use crate::model::{
        Channel, Customer, Direction, Fanpage, Interaction, InteractionKind, Order, OrderStatus,
        Source, Staff,
    };
    use crate::{DatasetBuilder, fold::fold_shard};
    use chrono::{DateTime, Utc};
    use std::str::FromStr;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::from_str(text).unwrap()
    }

    /// A hand-made dataset: customers, staff NV1 (Lan) and NV2 (Minh), fanpages FP1
    /// (activated, 2 accounts), FP2 (not activated, 3 accounts), FP3 (activated, 1).
    struct Data(DatasetBuilder, u32);

    impl Data {
        fn new() -> Data {
            let mut b = DatasetBuilder::new();
            for (id, name) in [("NV1", "Lan"), ("NV2", "Minh")] {
                b.push_staff(&Staff {
                    id: id.into(),
                    name: name.into(),
                });
            }
            for (id, activated, linked) in [("FP1", true, 2), ("FP2", false, 3), ("FP3", true, 1)] {
                b.push_fanpage(&Fanpage {
                    id: id.into(),
                    name: id.into(),
                    channel: Some(Channel::Facebook),
                    activated,
                    linked_accounts: linked,
                });
            }
            Data(b, 0)
        }

        fn customer(&mut self, id: &str, created_at: &str) -> &mut Data {
            self.0.push_customer(&Customer {
                id: id.into(),
                created_at: utc(created_at),
                source: Source::SocialChat,
                name: None,
                phone: None,
                email: None,
                gender: None,
                birth_date: None,
                zalo_id: None,
                facebook_id: None,
                notes: None,
            });
            self
        }

        /// An interaction: `who` is `None` for no staff; `page` `None` for not social.
        #[allow(clippy::too_many_arguments)]
        fn interaction(
            &mut self,
            customer: &str,
            at: &str,
            kind: InteractionKind,
            direction: Direction,
            page: Option<&str>,
            who: Option<&str>,
            automated: bool,
        ) -> &mut Data {
            self.1 += 1;
            self.0.push_interaction(&Interaction {
                id: format!("I{}", self.1),
                customer_id: customer.into(),
                at: utc(at),
                channel: Channel::Facebook,
                kind,
                direction,
                fanpage_id: page.map(Into::into),
                staff_id: who.map(Into::into),
                automated,
                campaign_id: None,
                ref_id: None,
            });
            self
        }

        fn inbound(&mut self, customer: &str, at: &str, page: &str) -> &mut Data {
            self.interaction(
                customer,
                at,
                InteractionKind::Message,
                Direction::Inbound,
                Some(page),
                None,
                false,
            )
        }

        fn reply(
            &mut self,
            customer: &str,
            at: &str,
            who: Option<&str>,
            automated: bool,
        ) -> &mut Data {
            self.interaction(
                customer,
                at,
                InteractionKind::Message,
                Direction::Outbound,
                Some("FP1"),
                who,
                automated,
            )
        }

        #[allow(clippy::too_many_arguments)]
        fn order(
            &mut self,
            id: &str,
            customer: &str,
            at: &str,
            status: OrderStatus,
            total: &str,
            cost: Option<&str>,
            page: Option<&str>,
            who: Option<&str>,
        ) -> &mut Data {
            self.0.push_order(&Order {
                id: id.into(),
                customer_id: customer.into(),
                created_at: utc(at),
                status,
                total: d(total),
                cost_of_goods: cost.map(d),
                source: None,
                fanpage_id: page.map(Into::into),
                staff_id: who.map(Into::into),
                voucher_code: None,
            });
            self
        }

        fn build(&self) -> Dataset {
            self.0.clone().build().unwrap()
        }
    }

    /// `this_month` at 2026-11-15 10:00 +07:00: period Nov 1-30, previous October.
    fn november() -> Context {
        ReportOptions::new(utc("2026-11-15T10:00:00+07:00"))
            .resolve()
            .unwrap()
    }

    #[test]
    fn automated_reply_counts_as_cared_but_not_for_top_staff() {
        let mut data = Data::new();
        data.customer("C1", "2026-01-01T00:00:00+07:00")
            .customer("C2", "2026-01-01T00:00:00+07:00")
            .inbound("C1", "2026-11-10T09:00:00+07:00", "FP1")
            // Automation replies to C1, even though the row names NV1.
            .reply("C1", "2026-11-10T09:01:00+07:00", Some("NV1"), true)
            .inbound("C2", "2026-11-10T09:00:00+07:00", "FP1")
            // NV2 replies to C2 in person, twice: one customer cared.
            .reply("C2", "2026-11-10T09:05:00+07:00", Some("NV2"), false)
            .reply("C2", "2026-11-11T09:05:00+07:00", Some("NV2"), false);
        let s = section(&data.build(), &november()).unwrap();
        assert_eq!(s.reached.current, 2); // two inbound messages
        assert_eq!(s.cared.current, 2); // C1 by automation + C2 by NV2
        assert_eq!(s.funnel.cared, 2);
        // Only NV2 is listed: NV1's only row was automated.
        assert_eq!(s.top_staff.len(), 1);
        let nv2 = &s.top_staff[0];
        assert_eq!(
            (nv2.staff_id.as_str(), nv2.name.as_deref()),
            ("NV2", Some("Minh"))
        );
        assert_eq!(nv2.customers_cared, 1); // two replies to one customer
        assert_eq!(nv2.conversion_rate, Some(Decimal::ZERO)); // 0 ordered / 1 cared
    }

    #[test]
    fn sunday_2330_local_lands_in_sundays_row_and_hour_23() {
        // +07:00: 2026-11-15 is a Sunday; 23:30 local is 16:30Z.
        let mut data = Data::new();
        data.customer("C1", "2026-01-01T00:00:00+07:00")
            .inbound("C1", "2026-11-15T23:30:00+07:00", "FP1")
            // Monday 00:30 local, the next day: outside the period.
            .inbound("C1", "2026-11-16T00:30:00+07:00", "FP1")
            // An inbound follow on the page: in the grid, not in reach.
            .interaction(
                "C1",
                "2026-11-15T23:45:00+07:00",
                InteractionKind::Follow,
                Direction::Inbound,
                Some("FP2"),
                None,
                false,
            );
        let week = Period::new(day("2026-11-09"), day("2026-11-15")).unwrap();
        let context = ReportOptions::new(utc("2026-11-17T00:00:00Z"))
            .period(week)
            .resolve()
            .unwrap();
        let s = section(&data.build(), &context).unwrap();
        assert_eq!(s.reached.current, 1); // only Sunday's message
        assert_eq!(s.reach_by_hour[23], 1);
        assert_eq!(s.reach_daily[6].date, day("2026-11-15")); // 7th row = Sunday
        assert_eq!(s.reach_daily[6].count, 1);
        assert_eq!(s.interactions_by_weekday_hour[6][23], 2); // message + follow
        let grid: u64 = s.interactions_by_weekday_hour.iter().flatten().sum();
        assert_eq!(grid, 2);
    }

    #[test]
    fn sunday_2330_in_berlin_on_the_dst_change_day() {
        // 2026-10-25 (Sunday) is 25 hours long in Berlin: 03:00 CEST -> 02:00 CET.
        let mut data = Data::new();
        data.customer("C1", "2026-01-01T00:00:00Z")
            .inbound("C1", "2026-10-25T22:30:00Z", "FP1") // 23:30 CET
            .inbound("C1", "2026-10-25T00:30:00Z", "FP1") // 02:30 CEST
            .inbound("C1", "2026-10-25T01:30:00Z", "FP1") // 02:30 CET, again
            .inbound("C1", "2026-10-25T23:00:00Z", "FP1"); // Monday 00:00 CET
        let week = Period::new(day("2026-10-19"), day("2026-10-25")).unwrap();
        let context = ReportOptions::new(utc("2026-11-01T00:00:00Z"))
            .time_zone("Europe/Berlin")
            .period(week)
            .resolve()
            .unwrap();
        let s = section(&data.build(), &context).unwrap();
        assert_eq!(s.reached.current, 3); // Monday 00:00 is the next week
        let sunday = &s.interactions_by_weekday_hour[6];
        assert_eq!((sunday[23], sunday[2]), (1, 2)); // 23:30, and 02:30 twice
        assert_eq!(s.reach_by_hour[23], 1);
        assert_eq!(s.reach_daily[6].count, 3); // all three on Sunday's row
        assert_eq!(s.interactions_by_weekday_hour[0].iter().sum::<u64>(), 0);
    }

    #[test]
    fn first_social_message_before_the_period_is_not_new() {
        let mut data = Data::new();
        data.customer("OLD", "2026-01-01T00:00:00+07:00")
            .customer("NEW", "2026-01-01T00:00:00+07:00")
            .customer("PAGE", "2026-01-01T00:00:00+07:00")
            // OLD first wrote in October (the previous period), again in November.
            .inbound("OLD", "2026-10-20T10:00:00+07:00", "FP1")
            .inbound("OLD", "2026-11-05T10:00:00+07:00", "FP1")
            // NEW wrote before, but not on a fanpage: its first *social* message is new.
            .interaction(
                "NEW",
                "2026-09-01T10:00:00+07:00",
                InteractionKind::Message,
                Direction::Inbound,
                None,
                None,
                false,
            )
            .inbound("NEW", "2026-11-06T10:00:00+07:00", "FP1")
            // PAGE wrote to FP2 in September, to FP1 in November.
            .inbound("PAGE", "2026-09-01T10:00:00+07:00", "FP2")
            .inbound("PAGE", "2026-11-07T10:00:00+07:00", "FP1");
        let dataset = data.build();
        let s = section(&dataset, &november()).unwrap();
        // New in November: NEW only (OLD is new in October, PAGE in September).
        assert_eq!((s.new_customers.current, s.new_customers.previous), (1, 1));
        assert_eq!(s.reached_customers.current, 3);
        // Under a filter on FP1, PAGE's FP2 message is not looked at: PAGE is new too.
        let fp1 = ReportOptions::new(utc("2026-11-15T10:00:00+07:00"))
            .fanpages(["FP1"])
            .resolve()
            .unwrap();
        let s = section(&dataset, &fp1).unwrap();
        assert_eq!((s.new_customers.current, s.new_customers.previous), (2, 1));
    }

    #[test]
    fn orders_revenue_profit_and_staff() {
        let mut data = Data::new();
        use OrderStatus::*;
        data.customer("C1", "2026-01-01T00:00:00+07:00")
            .customer("C2", "2026-01-01T00:00:00+07:00")
            .customer("LATE", "2026-12-01T00:00:00+07:00")
            .inbound("C1", "2026-11-02T10:00:00+07:00", "FP1")
            .reply("C1", "2026-11-02T10:10:00+07:00", Some("NV1"), false)
            .order(
                "O1",
                "C1",
                "2026-11-03T10:00:00+07:00",
                Completed,
                "100",
                Some("60"),
                Some("FP1"),
                Some("NV1"),
            )
            .order(
                "O2",
                "C1",
                "2026-11-04T10:00:00+07:00",
                Pending,
                "50",
                None,
                Some("FP1"),
                Some("NV1"),
            )
            .order(
                "O3",
                "C2",
                "2026-11-04T10:00:00+07:00",
                Failed,
                "30.5",
                Some("10"),
                Some("FP_GONE"),
                Some("NV1"),
            )
            .order(
                "O4",
                "C2",
                "2026-11-05T10:00:00+07:00",
                Cancelled,
                "999",
                None,
                Some("FP1"),
                Some("NV9"),
            )
            .order(
                "O5",
                "C2",
                "2026-10-05T10:00:00+07:00",
                Completed,
                "40",
                Some("45"),
                Some("FP1"),
                None,
            )
            .order(
                "O6",
                "C2",
                "2026-11-05T10:00:00+07:00",
                Completed,
                "70",
                None,
                None,
                Some("NV2"),
            )
            // After as_of, and a customer created after as_of: ignored.
            .order(
                "O7",
                "C1",
                "2026-11-20T10:00:00+07:00",
                Completed,
                "1000",
                None,
                Some("FP1"),
                Some("NV1"),
            )
            .order(
                "O8",
                "LATE",
                "2026-11-03T10:00:00+07:00",
                Completed,
                "1000",
                None,
                Some("FP1"),
                Some("NV1"),
            );
        let dataset = data.build();
        let s = section(&dataset, &november()).unwrap();
        // Placed social orders of November: O1, O2, O3 (unknown page counts).
        assert_eq!((s.orders.current, s.orders.previous), (3, 1)); // October: O5
        assert_eq!(s.cancelled_orders.current, 1); // O4
        assert_eq!(s.revenue.current, d("180.5")); // 100 + 50 + 30.5
        assert_eq!(s.gross_profit.current, d("60.5")); // (100 - 60) + (30.5 - 10)
        assert_eq!(s.gross_profit.previous, d("-5")); // 40 - 45
        assert_eq!(s.orders_missing_cost, 1); // O2
        // Funnel: C1 reached, cared, ordered, delivered (O1 completed).
        assert_eq!(
            s.funnel,
            Funnel {
                reached: 1,
                cared: 1,
                ordered: 1,
                delivered: 1
            }
        );
        // Staff: NV1 180.5 (O1 + O2 + O3) from C1 and C2, cared for C1: rate 2 / 1 = 2.
        // NV9 (unknown) is listed for a cancelled order, revenue 0. NV2's O6 is not social.
        let rows: Vec<_> = s
            .top_staff
            .iter()
            .map(|r| {
                (
                    r.staff_id.as_str(),
                    r.name.is_some(),
                    r.revenue,
                    r.customers_cared,
                    r.ordered_customers,
                    r.conversion_rate,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("NV1", true, d("180.5"), 1, 2, Some(Decimal::from(2))),
                ("NV9", false, Decimal::ZERO, 0, 0, None),
            ]
        );
        // Pages: all accepted ones without a filter; FP2 counts its 3 accounts.
        assert_eq!((s.activated_pages, s.linked_accounts), (2, 6)); // FP1 + FP3; 2 + 3 + 1
        let some = ReportOptions::new(utc("2026-11-15T10:00:00+07:00"))
            .fanpages(["FP2", "FP_GONE"])
            .resolve()
            .unwrap();
        let s = section(&dataset, &some).unwrap();
        assert_eq!((s.activated_pages, s.linked_accounts), (0, 3)); // FP2 only is accepted
        assert_eq!((s.orders.current, s.revenue.current), (1, d("30.5"))); // O3 on FP_GONE
    }

    /// `this_year` on 2026-01-15 against `year_ago`: the comparison range is
    /// 2025-01-02..=2026-01-01, so New Year's Day is in both ranges, and what happens
    /// on it counts in both (worked by hand below).
    #[test]
    fn an_event_in_the_period_and_the_comparison_range_counts_in_both() {
        use crate::calendar::{Compare, Preset};
        let mut data = Data::new();
        use OrderStatus::*;
        data.customer("M1", "2025-01-01T00:00:00+07:00")
            .customer("M2", "2025-01-01T00:00:00+07:00")
            // M1: first message in March 2025 (comparison range only), then New Year's
            // Day: a message, a reply by NV1 and an order (both ranges).
            .inbound("M1", "2025-03-01T09:00:00+07:00", "FP1")
            .order(
                "X0",
                "M1",
                "2025-06-01T10:00:00+07:00",
                Cancelled,
                "70",
                None,
                Some("FP1"),
                None,
            )
            .inbound("M1", "2026-01-01T09:00:00+07:00", "FP1")
            .reply("M1", "2026-01-01T09:05:00+07:00", Some("NV1"), false)
            .order(
                "X1",
                "M1",
                "2026-01-01T10:00:00+07:00",
                Completed,
                "100",
                Some("60"),
                Some("FP1"),
                Some("NV1"),
            )
            // M2: first message on New Year's Day (new in both ranges), no reply.
            .inbound("M2", "2026-01-01T08:00:00+07:00", "FP1");
        let dataset = data.build();
        let context = ReportOptions::new(utc("2026-01-15T12:00:00+07:00"))
            .period(Preset::ThisYear)
            .compare(Compare::YearAgo)
            .resolve()
            .unwrap();
        assert_eq!(
            context.previous,
            Period::new(day("2025-01-02"), day("2026-01-01")).unwrap()
        );
        let s = section(&dataset, &context).unwrap();
        let both = |c: &Comparison<u64>| (c.current, c.previous);
        // Inbound messages: Jan 1 twice (M1, M2) in both; Mar 1 in the comparison only.
        assert_eq!(both(&s.reached), (2, 3));
        assert_eq!(both(&s.reached_customers), (2, 2));
        // Only M1 got a reply, on Jan 1.
        assert_eq!(both(&s.cared), (1, 1));
        // First messages: M2 on Jan 1 (both), M1 on Mar 1 (comparison only).
        assert_eq!(both(&s.new_customers), (1, 2));
        // X1 on Jan 1 in both; the cancelled X0 in June 2025 in the comparison only.
        assert_eq!(both(&s.orders), (1, 1));
        assert_eq!(both(&s.cancelled_orders), (0, 1));
        assert_eq!(
            (s.revenue.current, s.revenue.previous),
            (d("100"), d("100"))
        );
        assert_eq!(
            (s.gross_profit.current, s.gross_profit.previous),
            (d("40"), d("40"))
        );
        assert_eq!(s.revenue.delta, Some(Decimal::ZERO));
        // The period's own lists are unchanged: the funnel, staff, daily reach.
        assert_eq!(
            (
                s.funnel.reached,
                s.funnel.cared,
                s.funnel.ordered,
                s.funnel.delivered
            ),
            (2, 1, 1, 1)
        );
        let nv1 = &s.top_staff[0];
        assert_eq!(
            (nv1.customers_cared, nv1.ordered_customers, nv1.revenue),
            (1, 1, d("100"))
        );
        assert_eq!(s.reach_daily[0].count, 2);
        assert_eq!(s.reach_daily.iter().map(|r| r.count).sum::<u64>(), 2);
    }

    #[test]
    fn shards_merge_to_the_whole() {
        let mut data = Data::new();
        for c in ["A", "B", "C"] {
            data.customer(c, "2026-01-01T00:00:00+07:00")
                .inbound(c, "2026-11-02T10:00:00+07:00", "FP1")
                .reply(c, "2026-11-02T10:10:00+07:00", Some("NV1"), false)
                .order(
                    &format!("O{c}"),
                    c,
                    "2026-11-03T10:00:00+07:00",
                    OrderStatus::Completed,
                    "10",
                    None,
                    Some("FP1"),
                    Some("NV1"),
                );
        }
        let dataset = data.build();
        let context = november();
        let all: Vec<CustomerIdx> = dataset.customer_indices().collect();
        let mut left = Partial::with_context(&context);
        fold_shard(&mut left, &dataset, all[..1].iter().copied());
        let mut right = Partial::with_context(&context);
        fold_shard(&mut right, &dataset, all[1..].iter().copied());
        left.merge(right).unwrap();
        let merged = left.finish().unwrap();
        assert_eq!(merged, section(&dataset, &context).unwrap());
        // NV1 cared for 3 distinct customers across the two shards.
        assert_eq!(merged.top_staff[0].customers_cared, 3);
        assert_eq!(merged.top_staff[0].revenue, d("30"));
    }
}
