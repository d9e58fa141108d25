//! The `profile` section (docs/metrics.md#profile), the customer profile 360 of S1 (GAPONE), for
//! one customer: the stored row, minigames, spend and orders, purchase behaviour, engagement
//! against the previous month with the customer's share of the month, spending per month of the
//! year, a like-for-like year over year, and the order history.
//!
//! # Cost of a look-up
//! A profile reads only its customer's runs: the id is a hash look-up, the customer's
//! orders (with their lines) and interactions are contiguous runs found by offset, and
//! the periods inside them by binary search. The all-customer totals behind the
//! engagement shares come from time indexes built with the [`Dataset`] (binary searches,
//! plus one per campaign id for `campaigns`). So one profile costs
//! `O(o + l + i + (k + 1) log n)` for the customer's `o` orders, `l` order lines and
//! `i` interactions, `k` campaign ids and `n` interactions in the dataset: it never
//! scans the dataset.
//!
//! # Which rows count
//! Orders and interactions dated after `as_of` are ignored (docs/metrics.md#conventions). A
//! customer created after `as_of` has no profile ([`Error::UnknownCustomer`],
//! docs/metrics.md#which-rows-count), and the all-customer totals count only customers that exist
//! at `as_of`.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::calendar::{
    BusinessCalendar, DAY, Ts, date_of_epoch_day, epoch_day, first_of_month, sub_months,
};
use crate::dataset::{CustomerIdx, Dataset, OrderRow};
use crate::error::{Error, Result};
use crate::model::{Customer, Direction, InteractionKind, OrderStatus};
use crate::money::{Comparison, DecimalSum, count_ratio, ratio};
use crate::options::Context;

/// `profile` (docs/metrics.md#profile) of one customer. Keys serialize in the documented order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileSection {
    /// Every stored column of `customers.csv` in the order of docs/input-format.md#customerscsv;
    /// absent values are `null`.
    pub customer: Customer,
    /// Inbound `minigame_play`s.
    pub minigames: Minigames,
    /// Sum of the totals of the customer's purchases.
    pub total_spend: Decimal,
    /// Number of purchases (completed orders up to `as_of`).
    pub successful_orders: u64,
    /// `total_spend / successful_orders`; `None` without a purchase.
    pub avg_spend_per_order: Option<Decimal>,
    /// Orders of any status with `created_at <= as_of`.
    pub total_orders: u64,
    /// Of those, status `failed` or `cancelled`.
    pub failed_orders: u64,
    /// Sum of the accepted line quantities of the purchases.
    pub items_purchased: u64,
    /// The first purchase's `created_at`.
    pub first_purchase_at: Option<DateTime<Utc>>,
    /// The last purchase's `created_at`.
    pub last_purchase_at: Option<DateTime<Utc>>,
    /// [`avg_days_between_purchases`] of the first and last purchase's local dates.
    pub avg_days_between_purchases: Option<Decimal>,
    /// The product with the largest summed quantity over purchases (tie: smallest id).
    pub most_purchased_product: Option<String>,
    /// The product of the first line of the first purchase.
    pub first_product: Option<String>,
    /// The product of the last line of the last purchase.
    pub last_product: Option<String>,
    /// The month of `as_of` against the previous month ([`engagement`]).
    pub engagement: Engagement,
    /// The 12 months of `as_of`'s year ([`spending_by_month`]).
    pub spending_by_month: Vec<MonthSpend>,
    /// Year to date against the same span a year earlier ([`year_over_year`]).
    pub year_over_year: YearOverYear,
    /// Every order up to `as_of`, newest first ([`purchase_history`]).
    pub purchase_history: Vec<HistoryOrder>,
}

/// `profile.minigames` (docs/metrics.md#profile).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Minigames {
    /// Distinct non-null `ref_id` of the plays (docs/metrics.md#profile).
    pub games: u64,
    /// Inbound `minigame_play` interactions, with or without a `ref_id`.
    pub plays: u64,
}

/// `profile.engagement` (docs/metrics.md#profile): four tiles.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Engagement {
    /// Distinct `campaign_id` of outbound `campaign_message`s to the customer.
    pub campaigns: EngagementItem,
    /// Outbound `message` + `campaign_message` to the customer.
    pub messages: EngagementItem,
    /// Inbound `url_click`s by the customer.
    pub url_clicks: EngagementItem,
    /// Inbound `survey_response`s by the customer.
    pub surveys: EngagementItem,
}

/// One engagement tile: the month of `as_of` (1st up to `as_of`) against the whole
/// previous month, and the customer's share of the current month over all customers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngagementItem {
    /// This month, up to `as_of`.
    pub current: u64,
    /// The whole previous month.
    pub previous: u64,
    /// `(current - previous) / previous`; `None` when `previous == 0`.
    pub delta: Option<Decimal>,
    /// [`share`] of `current` in the all-customer count of this month.
    pub share: Option<Decimal>,
}

/// One row of `profile.spending_by_month`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthSpend {
    /// `YYYY-MM`.
    pub month: String,
    /// Sum of purchase totals in that local month.
    pub spend: Decimal,
    /// Purchases in that local month.
    pub orders: u64,
}

/// `profile.year_over_year` (docs/metrics.md#profile).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearOverYear {
    /// Purchase totals, Jan 1 up to `as_of` against Jan 1 up to `as_of` minus one year.
    pub spend: Comparison<Decimal>,
    /// Purchases over the same spans.
    pub orders: Comparison<u64>,
}

/// One row of `profile.purchase_history`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryOrder {
    /// The order id.
    pub id: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Its status (any: the history lists every order).
    pub status: OrderStatus,
    /// Sum of its accepted lines' quantities.
    pub items: u64,
    /// Its total.
    pub total: Decimal,
}

/// The profile (docs/metrics.md#profile) of the customer with id `id`.
///
/// Cost: an `O(1)` id look-up, then [`profile_of`]: the customer's own runs and a few
/// binary searches, never a scan of the dataset.
///
/// # Edge cases
/// * No purchase: `total_spend` 0, `avg_spend_per_order`, the purchase dates and
///   products `None`; one purchase: `avg_days_between_purchases` `None`.
/// * `first_product` / `last_product` are `None` when that purchase has no accepted line;
///   `most_purchased_product` ties go to the smallest id in string order (docs/metrics.md#profile).
/// * Purchases dated before the customer's `created_at` count (docs/metrics.md#which-rows-count).
///
/// # Errors
/// * [`Error::UnknownCustomer`] when no accepted customer row has this id (unknown or
///   rejected, docs/metrics.md#profile), or when it is created after `as_of`
///   (docs/metrics.md#which-rows-count).
/// * [`Error::Overflow`] when a money sum does not fit; [`Error::CountOverflow`] when
///   the items purchased do not fit in a `u64`.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::model::{Customer, Order, OrderLine, OrderStatus, Source};
/// use crm_metrics::{DatasetBuilder, Error, ReportOptions, profile};
/// use rust_decimal::Decimal;
///
/// let at = |d, h| Utc.with_ymd_and_hms(2026, 11, d, h, 0, 0).unwrap();
/// let mut builder = DatasetBuilder::new();
/// builder.push_customer(&Customer::new("KH1", at(1, 3), Source::Pos).name("Lan"));
/// for (id, day, total) in [("DH1", 2, 100_000), ("DH2", 9, 50_000)] {
///     let (total, unit_price) = (Decimal::from(total), Decimal::from(total / 2));
///     builder.push_order(&Order::new(id, "KH1", at(day, 3), OrderStatus::Completed, total));
///     builder.push_order_line(&OrderLine::new(id, "SP1", 2, unit_price)); // 2 of SP1
/// }
/// let dataset = builder.build()?;
/// let context = ReportOptions::new(at(15, 3)).resolve()?;
///
/// let p = profile::section(&dataset, &context, "KH1")?;
/// assert_eq!(p.total_spend, Decimal::from(150_000)); // 100000 + 50000
/// assert_eq!(p.avg_spend_per_order, Some(Decimal::from(75_000)));
/// assert_eq!(p.items_purchased, 4); // 2 + 2
/// assert_eq!(p.avg_days_between_purchases, Some(Decimal::from(7))); // (9 - 2) / 1
/// assert_eq!(p.purchase_history[0].id, "DH2"); // newest first
///
/// // Unknown, or not yet created at as_of: an error, not an empty profile.
/// assert!(matches!(
///     profile::section(&dataset, &context, "KH9"),
///     Err(Error::UnknownCustomer { .. })
/// ));
/// let before = ReportOptions::new(at(1, 2)).resolve()?;
/// assert!(profile::section(&dataset, &before, "KH1").is_err());
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn section(dataset: &Dataset, context: &Context, id: &str) -> Result<ProfileSection> {
    let customer = dataset
        .customer_idx(id)
        .ok_or_else(|| Error::UnknownCustomer { id: id.to_owned() })?;
    profile_of(dataset, context, customer)
}

/// The profile (docs/metrics.md#profile) of the customer at index `customer`
/// ([`Dataset::customer_idx`] finds it from an id).
///
/// Cost: `O(o + l + i + (k + 1) log n)` for the customer's orders, lines and
/// interactions, `k` campaign ids and `n` interactions in the dataset (see the module
/// docs); it reads only this customer's runs and the engagement time indexes.
///
/// # Errors
/// * [`Error::UnknownCustomer`] for an index not of this dataset or a customer created
///   after `as_of` (docs/metrics.md#which-rows-count).
/// * [`Error::Overflow`] when a money sum does not fit; [`Error::CountOverflow`] when
///   the items purchased do not fit in a `u64`.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, profile, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(200).seed(5).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let oldest = dataset.customer_indices().next().unwrap();
/// let p = profile::profile_of(&dataset, &context, oldest)?;
/// assert_eq!(p.spending_by_month.len(), 12);
/// assert!(p.successful_orders <= p.total_orders);
/// assert_eq!(p.purchase_history.len() as u64, p.total_orders);
///
/// // A customer has no profile before it is created.
/// let newest = dataset.customer_indices().last().unwrap();
/// let created_at = dataset.customer(newest).unwrap().created_at;
/// let before = ReportOptions::new(created_at - chrono::Duration::seconds(1)).resolve()?;
/// assert!(profile::profile_of(&dataset, &before, newest).is_err());
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn profile_of(
    dataset: &Dataset,
    context: &Context,
    customer: CustomerIdx,
) -> Result<ProfileSection> {
    let as_of = context.as_of_ts;
    let unknown = || {
        let id = dataset
            .customer(customer)
            .map_or_else(|| format!("#{}", customer.index()), |c| c.id);
        Error::UnknownCustomer { id }
    };
    match dataset.customers.get(customer.index()) {
        Some(row) if row.created_at <= as_of => {}
        _ => return Err(unknown()),
    }
    let stored = dataset.customer(customer).ok_or_else(unknown)?;
    let orders = Orders::new(dataset, customer, as_of);

    let mut total_spend = DecimalSum::new();
    let (mut successful_orders, mut failed_orders, mut items_purchased) = (0u64, 0u64, 0u64);
    // (product key, quantity) of every purchased line, aggregated below.
    let mut quantities: Vec<(u32, i64)> = Vec::new();
    let (mut first, mut last): (Option<usize>, Option<usize>) = (None, None);
    for (k, order) in orders.rows.iter().enumerate() {
        match order.status {
            OrderStatus::Failed | OrderStatus::Cancelled => failed_orders += 1,
            OrderStatus::Completed => {
                successful_orders += 1;
                total_spend.add(order.total);
                first.get_or_insert(k);
                last = Some(k);
                let lines = orders.lines(k);
                items_purchased = items_purchased
                    .checked_add(line_items(lines)?)
                    .ok_or_else(|| Error::count_overflow("profile.items_purchased"))?;
                quantities.extend(lines.iter().map(|l| (l.product, l.quantity)));
            }
            OrderStatus::Pending => {}
        }
    }
    let total_spend = total_spend.finish("profile.total_spend")?;
    let product = |key: u32| dataset.products.resolve(key).to_owned();
    let purchase_at = |k: Option<usize>| k.and_then(|k| orders.rows.get(k)).map(|o| o.created_at);
    let (first_at, last_at) = (purchase_at(first), purchase_at(last));
    let local_date = |at: Ts| date_of_epoch_day(context.calendar.local_day(at));
    let avg_days = match (first_at.and_then(local_date), last_at.and_then(local_date)) {
        (Some(first_on), Some(last_on)) => {
            avg_days_between_purchases(first_on, last_on, successful_orders)
        }
        _ => None,
    };

    Ok(ProfileSection {
        customer: stored,
        minigames: minigames(dataset, context, customer),
        total_spend,
        successful_orders,
        avg_spend_per_order: ratio(
            "profile.avg_spend_per_order",
            total_spend,
            Decimal::from(successful_orders),
        )?,
        total_orders: orders.rows.len() as u64,
        failed_orders,
        items_purchased,
        first_purchase_at: first_at.map(Ts::to_datetime),
        last_purchase_at: last_at.map(Ts::to_datetime),
        avg_days_between_purchases: avg_days,
        most_purchased_product: most_purchased(dataset, &mut quantities).map(product),
        first_product: first
            .and_then(|k| orders.lines(k).first())
            .map(|l| product(l.product)),
        last_product: last
            .and_then(|k| orders.lines(k).last())
            .map(|l| product(l.product)),
        engagement: engagement(dataset, context, customer),
        spending_by_month: spending_by_month(dataset, context, customer)?,
        year_over_year: year_over_year(dataset, context, customer)?,
        purchase_history: purchase_history(dataset, context, customer)?,
    })
}

/// A customer's orders up to `as_of`, with access to their lines.
struct Orders<'d> {
    dataset: &'d Dataset,
    /// The customer's orders with `created_at <= as_of`, by (created_at, id).
    rows: &'d [OrderRow],
    /// Position of `rows[0]` in `dataset.orders`.
    first_position: usize,
}

impl<'d> Orders<'d> {
    fn new(dataset: &'d Dataset, customer: CustomerIdx, as_of: Ts) -> Orders<'d> {
        let all = dataset.orders_of(customer);
        let end = all.partition_point(|o| o.created_at <= as_of);
        Orders {
            dataset,
            rows: all.get(..end).unwrap_or_default(),
            first_position: dataset.first_order_position(customer),
        }
    }

    /// The lines of `rows[k]`, in input order.
    fn lines(&self, k: usize) -> &'d [crate::dataset::LineRow] {
        // OK because k < rows.len(), so first_position + k is an order of the dataset.
        self.dataset.lines_of(self.first_position + k)
    }

    /// Purchases (completed orders) with `from <= created_at <= to`.
    fn purchases_between(&self, from: Ts, to: Ts) -> impl Iterator<Item = &'d OrderRow> {
        let start = self.rows.partition_point(|o| o.created_at < from);
        let end = self.rows.partition_point(|o| o.created_at <= to);
        self.rows
            .get(start..end.max(start))
            .unwrap_or_default()
            .iter()
            .filter(|o| o.is_completed())
    }
}

/// Sum of the quantities of some order lines (each `> 0`).
fn line_items(lines: &[crate::dataset::LineRow]) -> Result<u64> {
    lines.iter().try_fold(0u64, |sum, line| {
        u64::try_from(line.quantity)
            .ok()
            .and_then(|q| sum.checked_add(q))
            .ok_or_else(|| Error::count_overflow("profile.items"))
    })
}

/// The product key with the largest summed quantity; ties go to the smallest product id
/// in plain string order (docs/metrics.md#profile). Sorts `quantities` in place.
fn most_purchased(dataset: &Dataset, quantities: &mut [(u32, i64)]) -> Option<u32> {
    quantities.sort_unstable_by_key(|&(product, _)| product);
    let mut best: Option<(u32, i128)> = None;
    for run in quantities.chunk_by(|a, b| a.0 == b.0) {
        let Some(&(product, _)) = run.first() else {
            continue;
        };
        // i128: a sum of fewer than 2^32 quantities below 2^63 cannot overflow.
        let total: i128 = run.iter().map(|&(_, q)| i128::from(q)).sum();
        let better = match best {
            None => true,
            Some((best_product, best_total)) => {
                total > best_total
                    || (total == best_total
                        && dataset.products.resolve(product)
                            < dataset.products.resolve(best_product))
            }
        };
        if better {
            best = Some((product, total));
        }
    }
    best.map(|(product, _)| product)
}

/// `profile.minigames` (docs/metrics.md#profile) of a customer: `plays` = inbound `minigame_play`
/// up to `as_of`, `games` = their distinct non-null `ref_id`.
fn minigames(dataset: &Dataset, context: &Context, customer: CustomerIdx) -> Minigames {
    let interactions = dataset.interactions_of(customer);
    let end = interactions.partition_point(|i| i.at <= context.as_of_ts);
    let mut games: Vec<u32> = Vec::new();
    let mut plays = 0;
    for i in interactions.get(..end).unwrap_or_default() {
        if i.is_inbound() && i.kind == InteractionKind::MinigamePlay {
            plays += 1;
            games.extend(i.ref_id.get());
        }
    }
    games.sort_unstable();
    games.dedup();
    Minigames {
        games: games.len() as u64,
        plays,
    }
}

/// Average days between purchases: `(last_on - first_on in days) / (purchases - 1)`.
/// Field `profile.avg_days_between_purchases`.
///
/// `first_on` and `last_on` are the local dates of the first and last purchase.
///
/// # Edge cases
/// * Fewer than 2 purchases gives `None` (JSON `null`): there is no gap to average.
/// * Purchases all on one day give `Some(0)`.
/// * The quotient is exact up to 28 digits (`243 / 12 = 20.25`), never rounded to days.
///
/// # Example
/// ```
/// use chrono::NaiveDate;
/// use crm_metrics::profile::avg_days_between_purchases;
/// use rust_decimal::Decimal;
///
/// let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
/// // 2025-12-02 .. 2026-08-02 is 243 days over 12 gaps.
/// assert_eq!(
///     avg_days_between_purchases(d(2025, 12, 2), d(2026, 8, 2), 13),
///     Some(Decimal::new(2025, 2)),
/// );
/// assert_eq!(avg_days_between_purchases(d(2026, 8, 2), d(2026, 8, 2), 1), None);
/// ```
pub fn avg_days_between_purchases(
    first_on: NaiveDate,
    last_on: NaiveDate,
    purchases: u64,
) -> Option<Decimal> {
    let gaps = purchases.checked_sub(1).filter(|&g| g > 0)?;
    let days = (last_on - first_on).num_days();
    Decimal::from(days).checked_div(Decimal::from(gaps))
}

/// An engagement share: `customer / all`. Field
/// `profile.engagement.<item>.share`.
///
/// `customer` is the customer's count in the month of `as_of`, `all` the same count
/// over every customer that exists at `as_of` (so `customer <= all`).
///
/// # Edge cases
/// * `all == 0` gives `None` (JSON `null`).
/// * `customer == 0` with `all > 0` gives `Some(0)`.
///
/// # Example
/// ```
/// use crm_metrics::profile::share;
/// use rust_decimal::Decimal;
///
/// assert_eq!(share(1, 4), Some(Decimal::new(25, 2))); // 1 / 4
/// assert_eq!(share(0, 4), Some(Decimal::ZERO));
/// assert_eq!(share(0, 0), None);
/// ```
pub fn share(customer: u64, all: u64) -> Option<Decimal> {
    count_ratio(customer, all)
}

/// `profile.engagement` (docs/metrics.md#profile) of a customer: the month of `as_of` (local 1st,
/// 00:00, up to `as_of`) against the whole previous local month, with the customer's share of
/// the current month over all customers that exist at `as_of`.
///
/// * `campaigns`: distinct non-null `campaign_id` (known or not) of outbound
///   `campaign_message`s to the customer; share over the distinct `campaign_id` of all
///   outbound `campaign_message`s in the month.
/// * `messages`: outbound `message` + `campaign_message`; `url_clicks`: inbound
///   `url_click`; `surveys`: inbound `survey_response`; shares over all customers' rows
///   of the same kind in the month.
///
/// Rows of every channel count (docs/metrics.md#profile), social or not, automated or not.
///
/// Cost: the customer's interactions of the two months (binary search), and for the
/// totals a few binary searches in the dataset's engagement index (one per campaign id
/// for `campaigns`).
///
/// # Edge cases
/// * `delta` is `None` when the previous month has none; `share` is `None` when no
///   customer has any this month.
/// * A customer created after `as_of` counts in no total; the function itself does not
///   check existence (see [`profile_of`]).
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, profile, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(300).seed(2).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let customer = dataset.customer_indices().next().unwrap();
/// let e = profile::engagement(&dataset, &context, customer);
/// if let Some(share) = e.messages.share {
///     assert!(share <= rust_decimal::Decimal::ONE);
/// } else {
///     assert_eq!(e.messages.current, 0); // nobody got a message this month
/// }
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn engagement(dataset: &Dataset, context: &Context, customer: CustomerIdx) -> Engagement {
    let as_of = context.as_of_ts;
    let calendar = &context.calendar;
    let month_start_on = first_of_month(context.today);
    let previous_start_on = sub_months(month_start_on, 1).unwrap_or(month_start_on);
    let month_start = calendar.day_start_ts(month_start_on);
    let current =
        month_start..calendar.day_start_ts_after(crate::calendar::last_of_month(context.today));
    let previous = calendar.day_start_ts(previous_start_on)..month_start;

    // The customer's own counts: [current, previous] per tile.
    let (mut messages, mut url_clicks, mut surveys) = ([0u64; 2], [0u64; 2], [0u64; 2]);
    let mut campaigns: [Vec<u32>; 2] = [Vec::new(), Vec::new()];
    let interactions = dataset.interactions_of(customer);
    let start = interactions.partition_point(|i| i.at < previous.start);
    for i in interactions.get(start..).unwrap_or_default() {
        if i.at > as_of {
            break;
        }
        let month = if current.contains(&i.at) {
            0
        } else if previous.contains(&i.at) {
            1
        } else {
            continue;
        };
        use InteractionKind as K;
        match (i.direction, i.kind) {
            (Direction::Outbound, K::Message) => messages[month] += 1,
            (Direction::Outbound, K::CampaignMessage) => {
                messages[month] += 1;
                campaigns[month].extend(i.campaign.get());
            }
            (Direction::Inbound, K::UrlClick) => url_clicks[month] += 1,
            (Direction::Inbound, K::SurveyResponse) => surveys[month] += 1,
            _ => {}
        }
    }
    let distinct = |mut keys: Vec<u32>| {
        keys.sort_unstable();
        keys.dedup();
        keys.len() as u64
    };
    let [current_campaigns, previous_campaigns] = campaigns;
    let campaigns = [distinct(current_campaigns), distinct(previous_campaigns)];

    let index = &dataset.engagement;
    let item = |counts: [u64; 2], all: u64| {
        let cmp = Comparison::counts(counts[0], counts[1]);
        EngagementItem {
            current: cmp.current,
            previous: cmp.previous,
            delta: cmp.delta,
            share: share(counts[0], all),
        }
    };
    Engagement {
        campaigns: item(campaigns, index.campaigns(&current, as_of)),
        messages: item(messages, index.messages.count(&current, as_of)),
        url_clicks: item(url_clicks, index.url_clicks.count(&current, as_of)),
        surveys: item(surveys, index.surveys.count(&current, as_of)),
    }
}

/// `profile.spending_by_month` (docs/metrics.md#profile): 12 rows, January to December of the local
/// year of `as_of`: `{month: "YYYY-MM", spend, orders}` = sum of totals and number of the
/// customer's purchases whose local date falls in that month.
///
/// # Edge cases
/// * Months after `as_of` are zero (nothing after `as_of` counts), as are months without
///   a purchase: every row is present.
///
/// # Errors
/// [`Error::Overflow`] when a month's spend does not fit in a decimal.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, profile, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(200).seed(4).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let customer = dataset.customer_indices().next().unwrap();
/// let months = profile::spending_by_month(&dataset, &context, customer)?;
/// assert_eq!(months[0].month, "2026-01");
/// assert_eq!(months[11].month, "2026-12");
/// assert_eq!(months[11].orders, 0); // December is after as_of
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn spending_by_month(
    dataset: &Dataset,
    context: &Context,
    customer: CustomerIdx,
) -> Result<Vec<MonthSpend>> {
    let year = context.today.year();
    let orders = Orders::new(dataset, customer, context.as_of_ts);
    let mut spend = [DecimalSum::new(); 12];
    let mut counts = [0u64; 12];
    let from = year_start(&context.calendar, year)?;
    for order in orders.purchases_between(from, context.as_of_ts) {
        let Some(date) = date_of_epoch_day(context.calendar.local_day(order.created_at)) else {
            continue;
        };
        if date.year() != year {
            continue;
        }
        let month = date.month0() as usize;
        if let (Some(sum), Some(count)) = (spend.get_mut(month), counts.get_mut(month)) {
            sum.add(order.total);
            *count += 1;
        }
    }
    (1..=12u32)
        .zip(spend.iter().zip(counts))
        .map(|(month, (sum, orders))| {
            Ok(MonthSpend {
                month: format!("{year:04}-{month:02}"),
                spend: sum.finish("profile.spending_by_month.spend")?,
                orders,
            })
        })
        .collect()
}

/// The first instant of Jan 1 of `year`, local.
fn year_start(calendar: &BusinessCalendar, year: i32) -> Result<Ts> {
    NaiveDate::from_ymd_opt(year, 1, 1)
        .map(|jan1| calendar.day_start_ts(jan1))
        .ok_or(Error::DateOutOfRange {
            what: "january 1 of a year",
        })
}

/// `profile.year_over_year` (docs/metrics.md#profile): purchases (spend and count) from local Jan 1
/// of `as_of`'s year up to `as_of`, against local Jan 1 of the previous year up to
/// [`one_year_earlier`]`(as_of)`, both ends inclusive.
///
/// **Decision** (docs/metrics.md#profile): like for like. A year to date against a whole previous
/// year would always look like a drop.
///
/// # Edge cases
/// * `as_of` on Feb 29 compares with Feb 28 of the previous year, same wall-clock time
///   (docs/metrics.md#profile).
/// * No purchase in the previous span gives `delta: None`.
///
/// # Errors
/// [`Error::Overflow`] when a spend does not fit; [`Error::DateOutOfRange`] at the
/// edges of chrono's date range.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, profile, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(200).seed(4).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let customer = dataset.customer_indices().next().unwrap();
/// let yoy = profile::year_over_year(&dataset, &context, customer)?;
/// let months = profile::spending_by_month(&dataset, &context, customer)?;
/// // This year's side is the sum of the months.
/// assert_eq!(yoy.orders.current, months.iter().map(|m| m.orders).sum::<u64>());
/// assert_eq!(yoy.orders.delta.is_none(), yoy.orders.previous == 0);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn year_over_year(
    dataset: &Dataset,
    context: &Context,
    customer: CustomerIdx,
) -> Result<YearOverYear> {
    let calendar = &context.calendar;
    let as_of = context.as_of_ts;
    let year = context.today.year();
    let year_ago = one_year_earlier_ts(calendar, as_of).ok_or(Error::DateOutOfRange {
        what: "as_of minus one year",
    })?;
    let orders = Orders::new(dataset, customer, as_of);
    let tally = |from: Ts, to: Ts| {
        let mut spend = DecimalSum::new();
        let mut count = 0u64;
        for order in orders.purchases_between(from, to) {
            spend.add(order.total);
            count += 1;
        }
        spend
            .finish("profile.year_over_year.spend")
            .map(|s| (s, count))
    };
    let (spend, count) = tally(year_start(calendar, year)?, as_of)?;
    let previous_year = year.checked_sub(1).unwrap_or(year);
    let (previous_spend, previous_count) = tally(year_start(calendar, previous_year)?, year_ago)?;
    Ok(YearOverYear {
        spend: Comparison::amounts("profile.year_over_year.spend", spend, previous_spend)?,
        orders: Comparison::counts(count, previous_count),
    })
}

/// `as_of` minus one year (docs/metrics.md#profile): the same local wall-clock time one year
/// earlier, as an instant.
///
/// # Edge cases
/// * Feb 29 maps to Feb 28.
/// * When that local time falls in a DST gap (it does not exist) or overlap (it exists
///   twice), the offset in force before the change is used: in a gap the instant is
///   the wall-clock time read with the old offset (so it shows one hour later on the
///   clock), in an overlap it is the earlier of the two.
/// * `None` only at the edges of chrono's date range.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::calendar::BusinessCalendar;
/// use crm_metrics::profile::one_year_earlier;
///
/// let vn = BusinessCalendar::default(); // +07:00
/// // 2028-02-29 10:00 local -> 2027-02-28 10:00 local.
/// let leap = Utc.with_ymd_and_hms(2028, 2, 29, 3, 0, 0).unwrap();
/// let earlier = Utc.with_ymd_and_hms(2027, 2, 28, 3, 0, 0).single();
/// assert_eq!(one_year_earlier(&vn, leap), earlier);
///
/// // Berlin: 2027-03-29 02:30 CEST -> 2026-03-29 02:30, which does not exist (the
/// // clocks jump 02:00 -> 03:00): read with the offset before the change, +01:00,
/// // it is 01:30Z (03:30 CEST).
/// let berlin: BusinessCalendar = "Europe/Berlin".parse()?;
/// let spring = Utc.with_ymd_and_hms(2027, 3, 29, 0, 30, 0).unwrap();
/// let earlier = Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 0).single();
/// assert_eq!(one_year_earlier(&berlin, spring), earlier);
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn one_year_earlier(
    calendar: &BusinessCalendar,
    as_of: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    one_year_earlier_ts(calendar, Ts::from_datetime(as_of)).map(Ts::to_datetime)
}

fn one_year_earlier_ts(calendar: &BusinessCalendar, as_of: Ts) -> Option<Ts> {
    let local = as_of
        .secs
        .checked_add(i64::from(calendar.offset_secs(as_of.secs)))?;
    let date = date_of_epoch_day(local.div_euclid(DAY))?;
    // Calendar months clamp: Feb 29 minus 12 months is Feb 28.
    let earlier = sub_months(date, 12)?;
    let wall = epoch_day(earlier)
        .checked_mul(DAY)?
        .checked_add(local.rem_euclid(DAY))?;
    // The offsets a day before and a day after: around at most one change (as in every
    // zone of the tz database), `before` is the offset in force before it.
    let before = calendar.offset_secs(wall.saturating_sub(DAY));
    let after = calendar.offset_secs(wall.saturating_add(DAY));
    let valid = |offset: i32| {
        let at = wall - i64::from(offset);
        (calendar.offset_secs(at) == offset).then_some(at)
    };
    // Normal time: one reading is valid. Overlap: both are; take the earlier offset's.
    // Gap: neither is; read the wall clock with the offset before the change.
    let secs = valid(before)
        .or_else(|| valid(after))
        .unwrap_or(wall - i64::from(before));
    Some(Ts {
        secs,
        nanos: as_of.nanos,
    })
}

/// `profile.purchase_history` (docs/metrics.md#profile): every order of the customer (any status)
/// with `created_at <= as_of`, newest first (`created_at` desc, then `id` desc):
/// `{id, created_at, status, items, total}`, `items` = sum of the order's accepted line
/// quantities (docs/metrics.md#profile).
///
/// # Edge cases
/// * An order without accepted lines has `items: 0`.
/// * Two orders at the same instant: the larger id (plain string order) first.
///
/// # Errors
/// [`Error::CountOverflow`] when an order's items do not fit in a `u64`.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::{ReportOptions, profile, sample::SampleOptions};
///
/// let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
/// let dataset = SampleOptions::new(200).seed(4).as_of(as_of).dataset()?;
/// let context = ReportOptions::new(as_of).resolve()?;
/// let customer = dataset.customer_indices().next().unwrap();
/// let history = profile::purchase_history(&dataset, &context, customer)?;
/// assert!(history.windows(2).all(|w| w[0].created_at >= w[1].created_at));
/// assert!(history.iter().all(|o| o.created_at <= as_of));
/// # Ok::<(), crm_metrics::Error>(())
/// ```
pub fn purchase_history(
    dataset: &Dataset,
    context: &Context,
    customer: CustomerIdx,
) -> Result<Vec<HistoryOrder>> {
    let orders = Orders::new(dataset, customer, context.as_of_ts);
    orders
        .rows
        .iter()
        .enumerate()
        .rev()
        .map(|(k, order)| {
            let id = dataset
                .order_detail(orders.first_position + k)
                .map_or(u32::MAX, |d| d.id);
            Ok(HistoryOrder {
                id: dataset.order_ids.resolve(id).to_owned(),
                created_at: order.created_at.to_datetime(),
                status: order.status,
                items: line_items(orders.lines(k))?,
                total: order.total,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Channel, Interaction, Order, OrderLine, Source};
    use crate::{DatasetBuilder, ReportOptions};
    use std::str::FromStr;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    struct Data(DatasetBuilder, u32);

    impl Data {
        fn new() -> Data {
            Data(DatasetBuilder::new(), 0)
        }

        fn customer(&mut self, id: &str, created_at: &str) -> &mut Data {
            self.0.push_customer(&Customer {
                id: id.into(),
                created_at: utc(created_at),
                source: Source::Pos,
                name: Some("Lan".into()),
                phone: Some("0901".into()),
                email: None,
                gender: None,
                birth_date: None,
                zalo_id: None,
                facebook_id: None,
                notes: None,
            });
            self
        }

        fn order(
            &mut self,
            id: &str,
            customer: &str,
            at: &str,
            status: OrderStatus,
            total: &str,
        ) -> &mut Data {
            self.0.push_order(&Order {
                id: id.into(),
                customer_id: customer.into(),
                created_at: utc(at),
                status,
                total: d(total),
                cost_of_goods: None,
                source: None,
                fanpage_id: None,
                staff_id: None,
                voucher_code: None,
            });
            self
        }

        fn line(&mut self, order: &str, product: &str, quantity: i64) -> &mut Data {
            self.0.push_order_line(&OrderLine {
                order_id: order.into(),
                product_id: product.into(),
                product_name: None,
                product_type: None,
                quantity,
                unit_price: Decimal::ONE,
            });
            self
        }

        fn interaction(
            &mut self,
            customer: &str,
            at: &str,
            kind: InteractionKind,
            direction: Direction,
            campaign: Option<&str>,
            ref_id: Option<&str>,
        ) -> &mut Data {
            self.1 += 1;
            self.0.push_interaction(&Interaction {
                id: format!("I{}", self.1),
                customer_id: customer.into(),
                at: utc(at),
                channel: Channel::Zalo,
                kind,
                direction,
                fanpage_id: None,
                staff_id: None,
                automated: false,
                campaign_id: campaign.map(Into::into),
                ref_id: ref_id.map(Into::into),
            });
            self
        }

        fn build(&self) -> Dataset {
            self.0.clone().build().unwrap()
        }
    }

    fn at(as_of: &str) -> Context {
        ReportOptions::new(utc(as_of)).resolve().unwrap()
    }

    #[test]
    fn one_purchase_has_no_average_gap() {
        use OrderStatus::*;
        let mut data = Data::new();
        data.customer("KH1", "2026-01-01T00:00:00+07:00")
            .order(
                "DH1",
                "KH1",
                "2026-03-01T10:00:00+07:00",
                Completed,
                "250000",
            )
            .line("DH1", "SP1", 2)
            .line("DH1", "SP2", 1)
            .order(
                "DH2",
                "KH1",
                "2026-04-01T10:00:00+07:00",
                Cancelled,
                "90000",
            )
            .line("DH2", "SP3", 9)
            .order("DH3", "KH1", "2026-05-01T10:00:00+07:00", Pending, "10000")
            .order("DH4", "KH1", "2026-12-01T10:00:00+07:00", Completed, "1"); // after as_of
        let p = section(&data.build(), &at("2026-11-15T10:00:00+07:00"), "KH1").unwrap();
        assert_eq!(p.successful_orders, 1);
        assert_eq!(p.total_orders, 3); // DH1, DH2, DH3; DH4 is after as_of
        assert_eq!(p.failed_orders, 1); // DH2 cancelled
        assert_eq!(p.total_spend, d("250000"));
        assert_eq!(p.avg_spend_per_order, Some(d("250000"))); // 250000 / 1
        assert_eq!(p.items_purchased, 3); // 2 + 1; DH2's 9 is not a purchase
        assert_eq!(p.avg_days_between_purchases, None); // one purchase: no gap
        assert_eq!(p.first_purchase_at, p.last_purchase_at);
        assert_eq!(p.first_product.as_deref(), Some("SP1")); // first line of DH1
        assert_eq!(p.last_product.as_deref(), Some("SP2")); // last line of DH1
        assert_eq!(p.most_purchased_product.as_deref(), Some("SP1")); // 2 > 1
        let history: Vec<(&str, u64)> = p
            .purchase_history
            .iter()
            .map(|o| (o.id.as_str(), o.items))
            .collect();
        assert_eq!(history, [("DH3", 0), ("DH2", 9), ("DH1", 3)]); // newest first
        assert_eq!(p.customer.phone.as_deref(), Some("0901"));
        assert_eq!(p.customer.email, None);
    }

    #[test]
    fn products_ties_and_missing_lines() {
        use OrderStatus::*;
        let mut data = Data::new();
        data.customer("KH1", "2026-01-01T00:00:00+07:00")
            // No accepted line on the first purchase: first_product is null.
            .order("DH1", "KH1", "2026-02-01T10:00:00+07:00", Completed, "1")
            // SP9 is interned before SP10, yet "SP10" < "SP9" in string order.
            .order("DH2", "KH1", "2026-02-02T10:00:00+07:00", Completed, "1")
            .line("DH2", "SP9", 2)
            .line("DH2", "SP10", 1)
            .order("DH3", "KH1", "2026-02-03T10:00:00+07:00", Completed, "1")
            .line("DH3", "SP10", 1);
        let p = section(&data.build(), &at("2026-11-15T10:00:00+07:00"), "KH1").unwrap();
        assert_eq!(p.first_product, None);
        assert_eq!(p.last_product.as_deref(), Some("SP10"));
        // SP9: 2, SP10: 1 + 1 = 2, a tie: the smaller id in string order.
        assert_eq!(p.most_purchased_product.as_deref(), Some("SP10"));
        // Feb 1 .. Feb 3 over 2 gaps: 2 / 2 = 1 day.
        assert_eq!(p.avg_days_between_purchases, Some(Decimal::ONE));
    }

    #[test]
    fn year_over_year_on_feb_29() {
        use OrderStatus::*;
        let mut data = Data::new();
        data.customer("KH1", "2020-01-01T00:00:00+07:00")
            .order("A", "KH1", "2026-12-31T23:59:00+07:00", Completed, "1") // before Jan 1 2027
            .order("B", "KH1", "2027-01-01T00:00:00+07:00", Completed, "10") // previous span
            .order("C", "KH1", "2027-02-28T09:00:00+07:00", Completed, "20") // previous span
            .order("D", "KH1", "2027-02-28T10:00:00+07:00", Completed, "40") // = as_of - 1y
            .order("E", "KH1", "2027-02-28T10:30:00+07:00", Completed, "80") // after it
            .order("F", "KH1", "2028-01-01T00:00:00+07:00", Completed, "100") // this year
            .order("G", "KH1", "2028-02-29T10:00:00+07:00", Completed, "200") // = as_of
            .order("H", "KH1", "2028-02-29T10:00:01+07:00", Completed, "400"); // after as_of
        let p = section(&data.build(), &at("2028-02-29T10:00:00+07:00"), "KH1").unwrap();
        let yoy = p.year_over_year;
        assert_eq!((yoy.orders.current, yoy.orders.previous), (2, 3)); // F, G vs B, C, D
        assert_eq!(yoy.spend.current, d("300")); // 100 + 200
        assert_eq!(yoy.spend.previous, d("70")); // 10 + 20 + 40
        assert_eq!(yoy.spend.delta, Some(d("230") / d("70"))); // (300 - 70) / 70
        // spending_by_month is 2028: January 100, February 200.
        assert_eq!(p.spending_by_month[0].spend, d("100"));
        assert_eq!(
            (
                p.spending_by_month[1].month.as_str(),
                p.spending_by_month[1].orders
            ),
            ("2028-02", 1)
        );
        assert!(p.spending_by_month[2..].iter().all(|m| m.orders == 0));
    }

    #[test]
    fn one_year_earlier_in_a_dst_overlap_takes_the_earlier_instant() {
        let berlin: BusinessCalendar = "Europe/Berlin".parse().unwrap();
        // 2027-10-25 02:30 CEST (00:30Z; DST ends on the 31st in 2027) -> 2026-10-25
        // 02:30, which happens twice: 00:30Z (CEST, the offset before the change) and
        // 01:30Z (CET).
        assert_eq!(
            one_year_earlier(&berlin, utc("2027-10-25T00:30:00Z")),
            Some(utc("2026-10-25T00:30:00Z"))
        );
        // Ordinary times keep their wall clock across the offset change: 12:00 CET on
        // 2027-01-10 -> 12:00 CET; 12:00 CEST in July -> 12:00 CEST.
        assert_eq!(
            one_year_earlier(&berlin, utc("2027-01-10T11:00:00Z")),
            Some(utc("2026-01-10T11:00:00Z"))
        );
        assert_eq!(
            one_year_earlier(&berlin, utc("2027-07-10T10:00:00.5Z")),
            Some(utc("2026-07-10T10:00:00.5Z"))
        );
    }

    #[test]
    fn engagement_counts_months_and_shares_over_existing_customers() {
        use Direction::*;
        use InteractionKind::*;
        let mut data = Data::new();
        data.customer("KH1", "2026-01-01T00:00:00+07:00")
            .customer("KH2", "2026-01-01T00:00:00+07:00")
            // Created after as_of, with history before its creation: never counted.
            .customer("KH3", "2026-12-01T00:00:00+07:00")
            // November (1st 00:00 local up to as_of).
            .interaction(
                "KH1",
                "2026-11-01T00:00:00+07:00",
                CampaignMessage,
                Outbound,
                Some("CP1"),
                None,
            )
            .interaction(
                "KH1",
                "2026-11-02T00:00:00+07:00",
                CampaignMessage,
                Outbound,
                Some("CP1"),
                None,
            )
            .interaction(
                "KH1",
                "2026-11-03T00:00:00+07:00",
                Message,
                Outbound,
                None,
                None,
            )
            .interaction(
                "KH1",
                "2026-11-03T00:00:00+07:00",
                UrlClick,
                Inbound,
                None,
                None,
            )
            .interaction(
                "KH2",
                "2026-11-04T00:00:00+07:00",
                CampaignMessage,
                Outbound,
                Some("CP2"),
                None,
            )
            .interaction(
                "KH2",
                "2026-11-04T00:00:00+07:00",
                UrlClick,
                Inbound,
                None,
                None,
            )
            .interaction(
                "KH3",
                "2026-11-05T00:00:00+07:00",
                CampaignMessage,
                Outbound,
                Some("CP3"),
                None,
            )
            .interaction(
                "KH3",
                "2026-11-05T00:00:00+07:00",
                SurveyResponse,
                Inbound,
                None,
                None,
            )
            // After as_of: ignored.
            .interaction(
                "KH1",
                "2026-11-20T00:00:00+07:00",
                Message,
                Outbound,
                None,
                None,
            )
            // October: the previous month (31st 23:59 local is still October).
            .interaction(
                "KH1",
                "2026-10-31T23:59:00+07:00",
                Message,
                Outbound,
                None,
                None,
            )
            .interaction(
                "KH1",
                "2026-10-01T00:00:00+07:00",
                SurveyResponse,
                Inbound,
                None,
                None,
            )
            // Games: two plays of G1, one without a ref, one outbound (not a play).
            .interaction(
                "KH1",
                "2026-05-01T00:00:00+07:00",
                MinigamePlay,
                Inbound,
                None,
                Some("G1"),
            )
            .interaction(
                "KH1",
                "2026-05-02T00:00:00+07:00",
                MinigamePlay,
                Inbound,
                None,
                Some("G1"),
            )
            .interaction(
                "KH1",
                "2026-05-03T00:00:00+07:00",
                MinigamePlay,
                Inbound,
                None,
                None,
            )
            .interaction(
                "KH1",
                "2026-05-03T00:00:00+07:00",
                MinigamePlay,
                Outbound,
                None,
                Some("G2"),
            );
        let dataset = data.build();
        let p = section(&dataset, &at("2026-11-15T10:00:00+07:00"), "KH1").unwrap();
        let e = p.engagement;
        // Campaigns: KH1 got CP1 (twice) -> 1; all existing: CP1, CP2 -> 2 (CP3 is KH3's).
        assert_eq!((e.campaigns.current, e.campaigns.previous), (1, 0));
        assert_eq!(e.campaigns.share, Some(d("0.5"))); // 1 / 2
        // Messages: 2 campaign + 1 message = 3; all: 3 + KH2's 1 = 4. October: 1.
        assert_eq!((e.messages.current, e.messages.previous), (3, 1));
        assert_eq!(e.messages.delta, Some(d("2"))); // (3 - 1) / 1
        assert_eq!(e.messages.share, Some(d("0.75"))); // 3 / 4
        // URL clicks: 1 of 2.
        assert_eq!(e.url_clicks.share, Some(d("0.5")));
        // Surveys: none this month (KH3's does not count): share null; October 1.
        assert_eq!(
            (e.surveys.current, e.surveys.previous, e.surveys.share),
            (0, 1, None)
        );
        assert_eq!(p.minigames, Minigames { games: 1, plays: 3 });
        // KH3 has no profile yet.
        assert!(matches!(
            section(&dataset, &at("2026-11-15T10:00:00+07:00"), "KH3"),
            Err(Error::UnknownCustomer { id }) if id == "KH3"
        ));
    }
}
