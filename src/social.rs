//! SPEC §7 `social`: the social-chat overview of S4 (Sapo Chat OmniAI): reach, care,
//! orders and revenue through fanpages, the reach → care → order → delivery funnel,
//! reach by day and hour, and the staff table.
//!
//! # What counts
//! * A **social interaction** is one with a `fanpage_id`, known or not (an unknown id is
//!   kept with a warning, SPEC §9.19); a **social order** likewise. With a fanpage filter
//!   ([`Context::fanpages`]) only the named ids count, which may include unknown ids.
//! * **Reach** is inbound `message` + `comment`; **care** is any outbound `message` /
//!   `comment`, by a person or by automation (SPEC §9.19).
//! * Only interactions and orders of customers that exist at `as_of` count (SPEC §9.20),
//!   and nothing after `as_of`.
//!
//! The section is a [`CustomerFold`] ([`SocialFold`]): every per-customer fact (reached,
//! cared, first contact, the staff who replied to them) is settled inside
//! [`add_customer`](CustomerFold::add_customer), so shards of customers merge exactly,
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

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::calendar::{Ts, weekday_index};
use crate::dataset::{CustomerIdx, Dataset, InteractionRow, OrderDetail};
use crate::error::{Error, Result};
use crate::fold::{CustomerFold, fold_customers};
use crate::money::{Cmp, DecimalSum, count_ratio};
use crate::report::Context;

/// SPEC §7 `social`. Keys serialize in SPEC's order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SocialSection {
    /// Inbound social `message` + `comment` in the period (a count of messages, as S4
    /// defines reach).
    pub reached: Cmp<u64>,
    /// Distinct customers of those messages and comments.
    pub reached_customers: Cmp<u64>,
    /// Distinct customers who got an outbound social `message` or `comment` in the
    /// period, by a person or by automation.
    pub cared: Cmp<u64>,
    /// Placed (not cancelled) social orders created in the period.
    pub orders: Cmp<u64>,
    /// Cancelled social orders created in the period (SPEC §9.23).
    pub cancelled_orders: Cmp<u64>,
    /// Sum of totals of the placed social orders of the period.
    pub revenue: Cmp<Decimal>,
    /// Sum of `total - cost_of_goods` of the placed social orders of the period that
    /// have a `cost_of_goods`.
    pub gross_profit: Cmp<Decimal>,
    /// Placed social orders of the current period without `cost_of_goods` (left out of
    /// `gross_profit`).
    pub orders_missing_cost: u64,
    /// Accepted fanpages in the set with `activated`.
    pub activated_pages: u64,
    /// Sum of `linked_accounts` of the accepted fanpages in the set, activated or not.
    pub linked_accounts: u64,
    /// Customers whose first ever inbound social `message` / `comment` (up to `as_of`,
    /// on the selected pages) falls in the period.
    pub new_customers: Cmp<u64>,
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

/// SPEC §7 `social.funnel`: customers of the current period, each stage a subset of the
/// one before.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DailyReach {
    /// The local date.
    pub date: NaiveDate,
    /// Inbound social messages + comments on that date.
    pub count: u64,
}

/// One row of `social.top_staff`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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

/// Computes SPEC §7 `social` in `context` (period and fanpage filter): a
/// [`SocialFold`] over the customers that exist at `as_of`.
///
/// Cost: one pass over each existing customer's interactions and orders from the start
/// of the earlier of the two periods (found by binary search) up to `as_of`, plus the
/// scan of a customer's interactions up to their first inbound social message; memory
/// `O(period days + staff)` per shard.
///
/// # Edge cases
/// * Social means any `fanpage_id`, also one with no accepted fanpage row; a filter id
///   that no row names selects nothing, and `activated_pages` / `linked_accounts` count
///   accepted fanpages only (SPEC §9.19).
/// * `cared` counts automated replies; `top_staff.customers_cared` does not. A staff
///   member with only a cancelled social order is listed with revenue 0 (SPEC §9.19).
/// * Rows of a customer created after `as_of` count nowhere, even when dated before
///   `as_of` (SPEC §9.20).
/// * Days of the period after `today` are zero rows of `reach_daily` (SPEC §9.12).
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
    fold_customers(dataset, 0..existing, || SocialFold::new(dataset, context)).finish(dataset)
}

/// SPEC §7 `interactions_by_weekday_hour` alone: inbound social interactions (any kind)
/// in the period, by local weekday (Monday first) and local hour, over the customers
/// that exist at `as_of` and the selected fanpages.
///
/// Equal to the section's field; computed from the dataset's time index of inbound
/// social interactions, so its cost is a binary search plus the period's entries,
/// whatever the number of customers.
///
/// # Edge cases
/// * Interactions after `as_of`, or of customers created after it, are not counted.
/// * An interaction without a fanpage is not social and never counts.
/// * Under DST, a local hour that happens twice counts both (SPEC §1: local time).
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

/// SPEC §7 `reach_by_hour` alone: inbound social messages and comments in the period by
/// local hour; equal to the section's field, from the same time index as
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
/// interaction of the period counted by SPEC §7 (existing customers, selected pages,
/// not after `as_of`).
fn for_each_inbound(dataset: &Dataset, context: &Context, mut f: impl FnMut(i64, usize, bool)) {
    let pages = PageScope::new(dataset, context);
    let existing = dataset.existing(context.as_of_ts);
    for entry in dataset.inbound.between(&context.current, context.as_of_ts) {
        if entry.customer.index() < existing && pages.contains(entry.fanpage) {
            let (day, hour) = context.calendar.local_day_hour(entry.at);
            f(day, hour as usize, entry.message_or_comment);
        }
    }
}

/// Staff conversion rate: `ordered_customers / customers_cared`. SPEC §7, field
/// `social.top_staff[].conversion_rate`.
///
/// # Edge cases
/// * `customers_cared == 0` gives `None` (JSON `null`): a staff member listed only for
///   orders has no rate.
/// * It may exceed 1 (SPEC §9.19): customers can order through a staff member who never
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

/// `activated_pages` and `linked_accounts` of SPEC §7 under a fanpage filter.
///
/// `activated_pages` = accepted fanpages in the set with `activated`;
/// `linked_accounts` = sum of `linked_accounts` over the accepted fanpages in the set,
/// activated or not (SPEC §9.19). The set is every accepted fanpage without a filter,
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
    let pages = PageScope::new(dataset, context);
    let (mut activated, mut linked) = (0u64, 0u64);
    for key in 0..dataset.fanpages.known {
        if !pages.contains(key) {
            continue;
        }
        if let Some(info) = dataset.fanpages.info(key) {
            activated += u64::from(info.activated);
            linked = linked
                .checked_add(info.linked_accounts)
                .ok_or_else(|| Error::count_overflow("social.linked_accounts"))?;
        }
    }
    Ok((activated, linked))
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
#[derive(Clone, Copy, Debug, Default)]
struct StaffTally {
    customers_cared: u64,
    revenue: DecimalSum,
    ordered_customers: u64,
    /// Had a non-automated outbound social message/comment or a social order of any
    /// status in the period.
    listed: bool,
}

/// Index of the current period in the two-slot arrays below; the previous is 1.
const CURRENT: usize = 0;
const PREVIOUS: usize = 1;

/// The mergeable partial state of SPEC §7 `social` over a set of customers.
///
/// Make one per shard with [`SocialFold::new`], fold customers into it
/// ([`fold_shard`](crate::fold::fold_shard) or
/// [`fold_customers`]), [`merge`](CustomerFold::merge) shards, and
/// [`finish`](CustomerFold::finish). Counts add and money sums are exact
/// ([`DecimalSum`]); distinct customers (reached, cared, funnel stages, new customers)
/// and distinct (staff, customer) pairs are settled inside `add_customer`, since a
/// shard holds whole customers: any split of the customers merges to exactly the
/// whole-dataset result. Partial states merged together must come from the same
/// dataset and context.
///
/// A customer created after `as_of` adds nothing (SPEC §9.20).
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::fold::{CustomerFold, fold_customers, fold_shard};
/// use crm_metrics::{ReportOptions, sample::SampleOptions, social::SocialFold};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(300).seed(3).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let customers: Vec<_> = dataset.customer_indices().collect();
/// let (left, right) = customers.split_at(120);
/// let mut a = SocialFold::new(&dataset, &context);
/// fold_shard(&mut a, &dataset, left.iter().copied());
/// let mut b = SocialFold::new(&dataset, &context);
/// fold_shard(&mut b, &dataset, right.iter().copied());
/// a.merge(b);
/// let whole = fold_customers(&dataset, 0..dataset.customer_count(), || {
///     SocialFold::new(&dataset, &context)
/// });
/// assert_eq!(a.finish(&dataset)?, whole.finish(&dataset)?);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct SocialFold<'a> {
    context: &'a Context,
    pages: PageScope,
    /// The earlier start of the two periods: where a customer's rows start to matter
    /// (besides their first contact).
    window_start: Ts,
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
    /// By staff key (known and only-referenced ids).
    staff: Vec<StaffTally>,
    /// Scratch: staff keys who replied to the current customer (reused, no allocation
    /// per customer).
    cared_by: Vec<u32>,
    /// Scratch: staff keys of the current customer's placed orders.
    ordered_through: Vec<u32>,
}

impl<'a> SocialFold<'a> {
    /// An empty partial state for `context` (period and fanpage filter) on `dataset`.
    pub fn new(dataset: &Dataset, context: &'a Context) -> SocialFold<'a> {
        SocialFold {
            context,
            pages: PageScope::new(dataset, context),
            window_start: context.current.start.min(context.prior.start),
            reached: [0; 2],
            reached_customers: [0; 2],
            cared: [0; 2],
            orders: [0; 2],
            cancelled_orders: [0; 2],
            revenue: [DecimalSum::new(); 2],
            gross_profit: [DecimalSum::new(); 2],
            orders_missing_cost: 0,
            new_customers: [0; 2],
            funnel: Funnel::default(),
            reach_daily: vec![0; context.period_days()],
            reach_by_hour: [0; 24],
            weekday_hour: [[0; 24]; 7],
            staff: vec![StaffTally::default(); dataset.staff.keys.len()],
            cared_by: Vec::new(),
            ordered_through: Vec::new(),
        }
    }

    /// Whether a social interaction is on a selected page.
    #[inline]
    fn selects_interaction(&self, row: &InteractionRow) -> bool {
        row.is_social()
            && row
                .fanpage
                .get()
                .is_some_and(|key| self.pages.contains(key))
    }

    /// Whether a social order is on a selected page.
    #[inline]
    fn selects_order(&self, detail: &OrderDetail) -> bool {
        detail
            .fanpage
            .get()
            .is_some_and(|key| self.pages.contains(key))
    }

    /// `Some(CURRENT)`, `Some(PREVIOUS)` or `None` for an instant.
    #[inline]
    fn period_of(&self, at: Ts) -> Option<usize> {
        if self.context.in_current(at) {
            Some(CURRENT)
        } else if self.context.in_previous(at) {
            Some(PREVIOUS)
        } else {
            None
        }
    }

    fn staff_mut(&mut self, key: u32) -> Option<&mut StaffTally> {
        self.staff.get_mut(key as usize)
    }
}

impl CustomerFold for SocialFold<'_> {
    type Output = SocialSection;

    fn add_customer(&mut self, dataset: &Dataset, customer: CustomerIdx) {
        let context = self.context;
        let as_of = context.as_of_ts;
        match dataset.customers.get(customer.index()) {
            Some(row) if row.created_at <= as_of => {}
            _ => return,
        }

        // Interactions. First contact: all time up to as_of, on the selected pages.
        let first_contact = if self.pages.selected.is_none() {
            // Every page: the dataset knows each customer's first one (any `as_of`:
            // if it is after `as_of` there is none up to `as_of`, and `period_of` says so).
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
                    i.is_inbound() && i.kind.is_message_or_comment() && self.selects_interaction(i)
                })
                .map(|i| i.at)
        };
        if let Some(period) = first_contact.and_then(|at| self.period_of(at)) {
            self.new_customers[period] += 1;
        }
        let interactions = dataset.interactions_since(customer, self.window_start);
        let (first_order, window_orders) = dataset.orders_since(customer, self.window_start);
        if interactions.is_empty() && window_orders.is_empty() {
            // Nothing in the window: no reach, care, orders or staff for this customer.
            return;
        }
        let (mut reached, mut cared) = ([false; 2], [false; 2]);
        self.cared_by.clear();
        for i in interactions {
            if i.at > as_of {
                break;
            }
            if !self.selects_interaction(i) {
                continue;
            }
            let Some(period) = self.period_of(i.at) else {
                continue;
            };
            let message = i.kind.is_message_or_comment();
            if i.is_inbound() {
                if message {
                    reached[period] = true;
                    self.reached[period] += 1;
                }
                if period == CURRENT {
                    let (day, hour) = context.calendar.local_day_hour(i.at);
                    let hour = hour as usize;
                    if message {
                        let row = usize::try_from(day - context.first_day).ok();
                        if let Some(count) = row.and_then(|r| self.reach_daily.get_mut(r)) {
                            *count += 1;
                        }
                        if let Some(count) = self.reach_by_hour.get_mut(hour) {
                            *count += 1;
                        }
                    }
                    if let Some(count) = self
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
                    self.cared_by.push(staff);
                }
            }
        }

        // Orders.
        let (mut ordered, mut delivered) = (false, false);
        self.ordered_through.clear();
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
            if !self.selects_order(detail) {
                continue;
            }
            let Some(period) = self.period_of(o.created_at) else {
                continue;
            };
            let staff = detail.staff.get();
            if period == CURRENT
                && let Some(tally) = staff.and_then(|s| self.staff_mut(s))
            {
                tally.listed = true;
            }
            if !o.is_placed() {
                self.cancelled_orders[period] += 1;
                continue;
            }
            self.orders[period] += 1;
            self.revenue[period].add(o.total);
            match detail.cost_of_goods {
                Some(cost) => {
                    self.gross_profit[period].add(o.total);
                    self.gross_profit[period].add(-cost);
                }
                None if period == CURRENT => self.orders_missing_cost += 1,
                None => {}
            }
            if period == CURRENT {
                ordered = true;
                delivered |= o.is_completed();
                if let Some(s) = staff {
                    if let Some(tally) = self.staff_mut(s) {
                        tally.revenue.add(o.total);
                    }
                    self.ordered_through.push(s);
                }
            }
        }

        // Settle this customer's distinct counts.
        for period in [CURRENT, PREVIOUS] {
            self.reached_customers[period] += u64::from(reached[period]);
            self.cared[period] += u64::from(cared[period]);
        }
        if reached[CURRENT] {
            self.funnel.reached += 1;
            if cared[CURRENT] {
                self.funnel.cared += 1;
                if ordered {
                    self.funnel.ordered += 1;
                    // A completed order is a placed one: delivered implies ordered.
                    self.funnel.delivered += u64::from(delivered);
                }
            }
        }
        let mut cared_by = std::mem::take(&mut self.cared_by);
        cared_by.sort_unstable();
        cared_by.dedup();
        for &s in &cared_by {
            if let Some(tally) = self.staff_mut(s) {
                tally.customers_cared += 1;
                tally.listed = true;
            }
        }
        self.cared_by = cared_by;
        let mut ordered_through = std::mem::take(&mut self.ordered_through);
        ordered_through.sort_unstable();
        ordered_through.dedup();
        for &s in &ordered_through {
            if let Some(tally) = self.staff_mut(s) {
                tally.ordered_customers += 1;
            }
        }
        self.ordered_through = ordered_through;
    }

    fn merge(&mut self, other: Self) {
        fn add<const N: usize>(a: &mut [u64; N], b: &[u64; N]) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
        add(&mut self.reached, &other.reached);
        add(&mut self.reached_customers, &other.reached_customers);
        add(&mut self.cared, &other.cared);
        add(&mut self.orders, &other.orders);
        add(&mut self.cancelled_orders, &other.cancelled_orders);
        add(&mut self.new_customers, &other.new_customers);
        for period in [CURRENT, PREVIOUS] {
            self.revenue[period].merge(&other.revenue[period]);
            self.gross_profit[period].merge(&other.gross_profit[period]);
        }
        self.orders_missing_cost += other.orders_missing_cost;
        self.funnel.reached += other.funnel.reached;
        self.funnel.cared += other.funnel.cared;
        self.funnel.ordered += other.funnel.ordered;
        self.funnel.delivered += other.funnel.delivered;
        for (x, y) in self.reach_daily.iter_mut().zip(&other.reach_daily) {
            *x += y;
        }
        add(&mut self.reach_by_hour, &other.reach_by_hour);
        for (row, other_row) in self.weekday_hour.iter_mut().zip(&other.weekday_hour) {
            add(row, other_row);
        }
        for (tally, other) in self.staff.iter_mut().zip(&other.staff) {
            tally.customers_cared += other.customers_cared;
            tally.revenue.merge(&other.revenue);
            tally.ordered_customers += other.ordered_customers;
            tally.listed |= other.listed;
        }
    }

    fn finish(self, dataset: &Dataset) -> Result<SocialSection> {
        let money = |sums: &[DecimalSum; 2], what: &'static str| -> Result<Cmp<Decimal>> {
            Cmp::amounts(
                what,
                sums[CURRENT].finish(what)?,
                sums[PREVIOUS].finish(what)?,
            )
        };
        let counts = |c: [u64; 2]| Cmp::counts(c[CURRENT], c[PREVIOUS]);
        let (activated_pages, linked_accounts) = page_counts(dataset, self.context)?;
        let mut top_staff = Vec::new();
        for (key, tally) in (0u32..).zip(&self.staff) {
            if !tally.listed {
                continue;
            }
            top_staff.push(StaffRow {
                staff_id: dataset.staff.id(key).to_owned(),
                name: dataset.staff.info(key).cloned(),
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
            reached: counts(self.reached),
            reached_customers: counts(self.reached_customers),
            cared: counts(self.cared),
            orders: counts(self.orders),
            cancelled_orders: counts(self.cancelled_orders),
            revenue: money(&self.revenue, "social.revenue")?,
            gross_profit: money(&self.gross_profit, "social.gross_profit")?,
            orders_missing_cost: self.orders_missing_cost,
            activated_pages,
            linked_accounts,
            new_customers: counts(self.new_customers),
            funnel: self.funnel,
            reach_daily: self
                .context
                .period
                .dates()
                .zip(&self.reach_daily)
                .map(|(date, &count)| DailyReach { date, count })
                .collect(),
            reach_by_hour: self.reach_by_hour,
            interactions_by_weekday_hour: self.weekday_hour,
            top_staff,
        })
    }
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
            .time_zone("Europe/Berlin".parse().unwrap())
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
        let mut left = SocialFold::new(&dataset, &context);
        fold_shard(&mut left, &dataset, all[..1].iter().copied());
        let mut right = SocialFold::new(&dataset, &context);
        fold_shard(&mut right, &dataset, all[1..].iter().copied());
        left.merge(right);
        let merged = left.finish(&dataset).unwrap();
        assert_eq!(merged, section(&dataset, &context).unwrap());
        // NV1 cared for 3 distinct customers across the two shards.
        assert_eq!(merged.top_staff[0].customers_cared, 3);
        assert_eq!(merged.top_staff[0].revenue, d("30"));
    }
}
