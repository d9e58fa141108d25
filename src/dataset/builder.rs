//! [`DatasetBuilder`]: rows in, a validated and indexed [`Dataset`] out.

use crate::calendar::{BusinessCalendar, Ts};
use crate::dataset::frozen::Dataset;
use crate::dataset::index::{
    CampaignInfo, Contacts, CostRow, CustomerIdx, CustomerRow, CustomerText, DealRow, Entities,
    FanpageInfo, InteractionRow, LineRow, OrderDetail, OrderRow, PurchaseTotals,
};
use crate::dataset::intern::Interner;
use crate::dataset::quality::{DataQuality, TableCounts};
use crate::dataset::stage::{Stage, TableStage};
use crate::dataset::storage::OptKey;
use crate::dataset::validate;
use crate::error::{Error, Rejection, Result, Table, Warning};
use crate::model::{Campaign, Cost, Customer, Deal, Fanpage, Interaction, Order, OrderLine, Staff};
use crate::money::DecimalSum;

/// Collects rows of the nine tables, then validates and indexes them into a
/// [`Dataset`] with [`build`](DatasetBuilder::build).
///
/// This is the path for a service that has its data as structs (from its own database);
/// [`read_csv_dir`](DatasetBuilder::read_csv_dir) adds rows from a folder of CSV files.
/// Rows may be pushed in any order across tables: validation happens at `build`.
///
/// # Example
/// ```
/// use chrono::{TimeZone, Utc};
/// use crm_metrics::model::{Customer, Order, OrderStatus, Source};
/// use crm_metrics::{DatasetBuilder, Origin, Reason};
/// use rust_decimal::Decimal;
///
/// let at = Utc.with_ymd_and_hms(2026, 11, 1, 3, 0, 0).unwrap();
/// let mut builder = DatasetBuilder::new();
/// builder.push_customer(&Customer::new("KH1", at, Source::Pos));
/// let order = |id: &str, customer: &str| {
///     Order::new(id, customer, at, OrderStatus::Completed, Decimal::from(125_000))
/// };
/// builder.push_order(&order("DH1", "KH1"));
/// builder.push_order(&order("DH2", "KH9")); // no such customer
/// let dataset = builder.build()?;
///
/// assert_eq!(dataset.order_count(), 1);
/// let rejected = &dataset.quality().rejections()[0];
/// assert_eq!((rejected.line, rejected.reason), (2, Reason::UnknownCustomer));
/// assert_eq!(rejected.origin, Origin::PushedRow); // displayed as "orders row 2"
/// # Ok::<(), crm_metrics::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct DatasetBuilder {
    pub(crate) stage: Stage,
    strict: bool,
    /// The business time zone of timestamps without an offset in CSV input.
    pub(crate) zone: BusinessCalendar,
}

// Here rather than beside `Dataset` so that the frozen dataset does not import its builder.
impl Dataset {
    /// A new [`DatasetBuilder`].
    pub fn builder() -> DatasetBuilder {
        DatasetBuilder::new()
    }
}

impl DatasetBuilder {
    /// An empty builder (lenient: bad rows are rejected and reported, not errors).
    pub fn new() -> DatasetBuilder {
        DatasetBuilder::default()
    }

    /// Strict mode: [`build`](DatasetBuilder::build) fails with
    /// [`Error::Rejected`] naming the first bad row (tables in the documented order, then line)
    /// instead of rejecting it.
    pub fn strict(mut self, strict: bool) -> DatasetBuilder {
        self.strict = strict;
        self
    }

    /// The business time zone (default `+07:00`) in which a CSV timestamp without an
    /// offset is read, e.g. `2026-11-03 10:00` (docs/input-format.md, "Timestamps"). Give
    /// the report's time zone, before reading files. A local time that a DST change skips
    /// takes the offset in force before the change (Berlin `2026-03-29 02:30` is
    /// `01:30Z`); one that happens twice is the earlier instant (`2026-10-25 02:30` is
    /// `00:30Z`). Timestamps with an offset keep theirs.
    ///
    /// # Example
    /// ```
    /// # #[cfg(feature = "csv")] {
    /// use crm_metrics::calendar::BusinessCalendar;
    /// use crm_metrics::{DatasetBuilder, Table};
    ///
    /// let berlin: BusinessCalendar = "Europe/Berlin".parse()?;
    /// let mut builder = DatasetBuilder::new().time_zone(berlin);
    /// let csv = "ID,Created At,Source\nKH1,2026-10-25 02:30,Shopee\n";
    /// builder.read_csv(Table::Customers, csv.as_bytes(), "customers.csv")?;
    /// let dataset = builder.build()?;
    /// assert_eq!(dataset.customer_count(), 1);
    /// # }
    /// # Ok::<(), crm_metrics::Error>(())
    /// ```
    pub fn time_zone(mut self, zone: BusinessCalendar) -> DatasetBuilder {
        self.zone = zone;
        self
    }

    /// Adds a customer row.
    pub fn push_customer(&mut self, customer: &Customer) {
        self.stage.push_customer(customer);
    }

    /// Adds an order row.
    pub fn push_order(&mut self, order: &Order) {
        self.stage.push_order(order);
    }

    /// Adds an order line; an order's lines keep the order they are pushed in.
    pub fn push_order_line(&mut self, line: &OrderLine) {
        self.stage.push_order_line(line);
    }

    /// Adds a deal row.
    pub fn push_deal(&mut self, deal: &Deal) {
        self.stage.push_deal(deal);
    }

    /// Adds a cost row.
    pub fn push_cost(&mut self, cost: &Cost) {
        self.stage.push_cost(cost);
    }

    /// Adds an interaction row.
    pub fn push_interaction(&mut self, interaction: &Interaction) {
        self.stage.push_interaction(interaction);
    }

    /// Adds a campaign row.
    pub fn push_campaign(&mut self, campaign: &Campaign) {
        self.stage.push_campaign(campaign);
    }

    /// Adds a staff row.
    pub fn push_staff(&mut self, staff: &Staff) {
        self.stage.push_staff(staff);
    }

    /// Adds a fanpage row.
    pub fn push_fanpage(&mut self, fanpage: &Fanpage) {
        self.stage.push_fanpage(fanpage);
    }

    /// Validates every row (docs/input-format.md, "Rejections") and indexes the
    /// accepted ones.
    ///
    /// Cost: `O(n)` for validation and interning (hash look-ups), plus sorting each
    /// customer's orders and interactions by time and the deals and costs: `O(n log n)`
    /// at worst, near `O(n)` in practice since per-customer runs are short. Memory of the
    /// result per accepted row: customer 28 bytes + its text, order 64 bytes + its id,
    /// order line 16, interaction 32, deal 96, cost 28, plus a 4-byte run offset per
    /// customer and per order ([`Dataset::heap_bytes`] measures it).
    ///
    /// # Errors
    /// * [`Error::Rejected`] in strict mode, for the first bad row.
    /// * [`Error::TooManyRows`] when a table has 2^32 - 1 rows or more.
    pub fn build(self) -> Result<Dataset> {
        build(self.stage, self.strict)
    }
}

/// Refuses tables of 2^32 rows or more (dense keys are `u32`).
fn check_size<R>(table: Table, stage: &TableStage<R>) -> Result<()> {
    if stage.rows.len() >= u32::MAX as usize {
        return Err(Error::TooManyRows {
            table,
            rows: stage.rows.len(),
        });
    }
    Ok(())
}

/// Counting sort of `(row, _)` items into runs by `group` (`0..groups`), keeping input
/// order within a run: returns the run offsets (`groups + 1` of them) and the rows (the
/// group is the run; dropping it halves the copy while the input is still alive).
fn runs(
    groups: usize,
    items: &[(u32, u32)],
    group: impl Fn(&(u32, u32)) -> usize,
) -> (Vec<u32>, Vec<u32>) {
    let mut offsets = vec![0u32; groups + 1];
    for item in items {
        offsets[group(item) + 1] += 1;
    }
    for i in 0..groups {
        offsets[i + 1] += offsets[i];
    }
    let mut next = offsets.clone();
    // Every position is written exactly once below; the zeros only size the vector.
    let mut placed = vec![0u32; items.len()];
    for item in items {
        let slot = &mut next[group(item)];
        placed[*slot as usize] = item.0;
        *slot += 1;
    }
    (offsets, placed)
}

/// Sorts one customer's run; exports usually list a customer's rows in time order
/// already, so a run is first checked (one pass) and only sorted when it is not.
fn sort_run<T>(run: &mut [T], compare: impl Fn(&T, &T) -> std::cmp::Ordering) {
    if !run.is_sorted_by(|a, b| compare(a, b).is_le()) {
        run.sort_by(compare);
    }
}

/// Maps a table's local references to keys of `entities`, interning ids that have no
/// accepted row (so reports can still name them).
fn references<I>(local: &Interner, entities: &mut Entities<I>) -> Vec<u32> {
    (0..local.len() as u32)
        .map(|k| {
            entities
                .keys
                .intern(local.resolve(k))
                .map_or(u32::MAX, |(key, _)| key)
        })
        .collect()
}

/// A local reference as a key of the dataset, counting a warning when it names no
/// accepted row (docs/input-format.md#rejections: once per row and column, on accepted rows).
#[inline]
fn reference(local: OptKey, global: &[u32], known: u32, warnings: &mut u64) -> OptKey {
    match local.get() {
        None => OptKey::NONE,
        Some(k) => {
            let key = global[k as usize];
            if key >= known {
                *warnings += 1;
            }
            OptKey::some(key)
        }
    }
}

/// Maps a table's local free-text keys into a dataset-wide interner.
fn merge_into(local: &Interner, global: &mut Interner) -> Vec<u32> {
    (0..local.len() as u32)
        .map(|k| {
            global
                .intern(local.resolve(k))
                .map_or(u32::MAX, |(key, _)| key)
        })
        .collect()
}

/// Validates and indexes staged rows. Indexing below is by row indices and keys this
/// function and `validate` produced, always in range (see `validate`'s module docs).
fn build(stage: Stage, strict: bool) -> Result<Dataset> {
    let Stage {
        customers: mut customer_stage,
        orders: mut order_stage,
        order_lines: mut line_stage,
        deals: mut deal_stage,
        costs: cost_stage,
        interactions: mut interaction_stage,
        campaigns: campaign_stage,
        staff: staff_stage,
        fanpages: fanpage_stage,
    } = stage;
    check_size(Table::Customers, &customer_stage)?;
    check_size(Table::Orders, &order_stage)?;
    check_size(Table::OrderLines, &line_stage)?;
    check_size(Table::Deals, &deal_stage)?;
    check_size(Table::Costs, &cost_stage)?;
    check_size(Table::Interactions, &interaction_stage)?;

    // Validation. Staging already rejected parse errors and duplicates; every staged
    // customer, staff, fanpage and campaign row is accepted.
    let mut rejected: [Vec<Rejection>; 9] = Default::default();
    let mut customer_ids = std::mem::take(&mut customer_stage.ids);
    let valid_orders = validate::orders(
        &order_stage,
        &mut customer_ids,
        &mut rejected[Table::Orders.index()],
    );
    let mut order_ids = std::mem::take(&mut order_stage.ids);
    let valid_lines = validate::order_lines(
        &line_stage,
        &mut order_ids,
        &valid_orders,
        &mut rejected[Table::OrderLines.index()],
    );
    let valid_deals = validate::deals(
        &deal_stage,
        &mut customer_ids,
        &mut rejected[Table::Deals.index()],
    );
    let valid_costs = validate::costs(&cost_stage, &mut rejected[Table::Costs.index()]);
    let valid_interactions = validate::interactions(
        &interaction_stage,
        &mut customer_ids,
        &mut rejected[Table::Interactions.index()],
    );
    // What only validation needed (ids claimed while staging, references resolved
    // above, line numbers) goes now, before the indexed tables are built: at 1M customers the
    // interaction ids alone are about 100 MB.
    for (ids, references) in [
        (
            &mut interaction_stage.ids,
            &mut interaction_stage.keys.customer,
        ),
        (&mut deal_stage.ids, &mut deal_stage.keys.customer),
        (&mut line_stage.ids, &mut line_stage.keys.order),
        (
            &mut order_stage.keys.customer,
            &mut order_stage.keys.product,
        ),
    ] {
        *ids = Interner::default();
        *references = Interner::default();
    }
    // Line numbers only name rejected rows.
    order_stage.lines = Vec::new();
    line_stage.lines = Vec::new();
    deal_stage.lines = Vec::new();
    interaction_stage.lines = Vec::new();

    // Data quality: staging's rejections join validation's, in file order within each
    // table, tables in the documented order (docs/metrics.md#data_quality).
    let reads = [
        customer_stage.read,
        order_stage.read,
        line_stage.read,
        deal_stage.read,
        cost_stage.read,
        interaction_stage.read,
        campaign_stage.read,
        staff_stage.read,
        fanpage_stage.read,
    ];
    let staged = [
        &customer_stage.rejections,
        &order_stage.rejections,
        &line_stage.rejections,
        &deal_stage.rejections,
        &cost_stage.rejections,
        &interaction_stage.rejections,
        &campaign_stage.rejections,
        &staff_stage.rejections,
        &fanpage_stage.rejections,
    ];
    let mut quality = DataQuality::default();
    for table in Table::ALL {
        let t = table.index();
        let mut rows: Vec<Rejection> = staged[t]
            .iter()
            .cloned()
            .chain(rejected[t].drain(..))
            .collect();
        rows.sort_by_key(|r| r.line);
        let count = rows.len() as u64;
        quality.tables[t] = TableCounts {
            read: reads[t],
            accepted: reads[t].saturating_sub(count),
            rejected: count,
        };
        quality.rejections.extend(rows);
    }
    if strict && let Some(first) = quality.rejections.first() {
        return Err(Error::Rejected(Box::new(first.clone())));
    }

    let mut staff = Entities {
        known: staff_stage.ids.len() as u32,
        keys: staff_stage.ids,
        info: staff_stage.rows.into_iter().map(|r| r.name).collect(),
    };
    let mut fanpages = Entities {
        known: fanpage_stage.ids.len() as u32,
        keys: fanpage_stage.ids,
        info: fanpage_stage
            .rows
            .into_iter()
            .map(|r| FanpageInfo {
                name: r.name,
                channel: r.channel,
                activated: r.activated,
                linked_accounts: r.linked_accounts,
            })
            .collect(),
    };
    let mut campaigns = Entities {
        known: campaign_stage.ids.len() as u32,
        keys: campaign_stage.ids,
        info: campaign_stage
            .rows
            .into_iter()
            .map(|r| CampaignInfo {
                name: r.name,
                channel: r.channel,
            })
            .collect(),
    };

    // Customers, numbered by (created_at, input order); key `k` is staged row `k`.
    let customer_rows = &customer_stage.rows;
    let mut by_created: Vec<u32> = (0..customer_rows.len() as u32).collect();
    by_created.sort_by_key(|&k| (customer_rows[k as usize].created_at, k));
    let mut customer_by_load = vec![CustomerIdx(0); by_created.len()];
    let mut customers = Vec::with_capacity(by_created.len());
    for (idx, &load) in by_created.iter().enumerate() {
        customer_by_load[load as usize] = CustomerIdx(idx as u32);
        let row = &customer_rows[load as usize];
        let has = |i: usize| !row.text[i].is_empty();
        customers.push(CustomerRow {
            created_at: row.created_at,
            birth_date: row.birth_date,
            load,
            source: row.source,
            gender: row.gender,
            contacts: Contacts::new(has(2), has(3), has(4), has(5)),
        });
    }
    drop(by_created);
    let customer_text = CustomerText {
        rows: customer_rows.iter().map(|r| r.text).collect(),
        arena: customer_stage.arena,
    };
    drop(customer_stage.rows);
    let customer_of = |key: u32| customer_by_load[key as usize];

    // Interactions: runs per customer, each sorted by (at, input order).
    let mut warnings = [0u64; 3];
    let interaction_rows = &interaction_stage.rows;
    let (interaction_runs, mut interaction_items) =
        runs(customers.len(), &valid_interactions, |&(_, c)| {
            customer_of(c).index()
        });
    drop(valid_interactions);
    for run in interaction_runs.windows(2) {
        sort_run(
            &mut interaction_items[run[0] as usize..run[1] as usize],
            |&a, &b| {
                (interaction_rows[a as usize].at, a).cmp(&(interaction_rows[b as usize].at, b))
            },
        );
    }
    let keys = &interaction_stage.keys;
    let (page_of, staff_of, campaign_of) = (
        references(&keys.fanpage, &mut fanpages),
        references(&keys.staff, &mut staff),
        references(&keys.campaign, &mut campaigns),
    );
    let interactions: Vec<InteractionRow> = interaction_items
        .iter()
        .map(|&row| {
            let i = &interaction_rows[row as usize];
            InteractionRow {
                at: i.at,
                fanpage: reference(
                    i.fanpage,
                    &page_of,
                    fanpages.known,
                    &mut warnings[Warning::UnknownFanpage as usize],
                ),
                staff: reference(
                    i.staff,
                    &staff_of,
                    staff.known,
                    &mut warnings[Warning::UnknownStaff as usize],
                ),
                campaign: reference(
                    i.campaign,
                    &campaign_of,
                    campaigns.known,
                    &mut warnings[Warning::UnknownCampaign as usize],
                ),
                ref_id: i.reference,
                channel: i.channel,
                kind: i.kind,
                direction: i.direction,
                automated: i.automated,
            }
        })
        .collect();
    let refs = interaction_stage.keys.reference;
    drop((interaction_items, interaction_stage.rows));
    // Orders: runs per customer, each sorted by (created_at, id).
    let validate::ValidOrders {
        accepted: valid_order_rows,
        slot_of_row,
    } = valid_orders;
    let (order_runs, mut order_items) = runs(customers.len(), &valid_order_rows, |&(_, c)| {
        customer_of(c).index()
    });
    // Only the slots are needed from here on.
    let accepted_orders = valid_order_rows.len();
    drop(valid_order_rows);
    let order_rows = &order_stage.rows;
    let by_time_then_id = |&a: &u32, &b: &u32| {
        let (ra, rb) = (&order_rows[a as usize], &order_rows[b as usize]);
        ra.created_at
            .cmp(&rb.created_at)
            .then_with(|| order_ids.resolve(a).cmp(order_ids.resolve(b)))
    };
    for run in order_runs.windows(2) {
        sort_run(
            &mut order_items[run[0] as usize..run[1] as usize],
            by_time_then_id,
        );
    }
    let order_fanpages = references(&order_stage.keys.fanpage, &mut fanpages);
    let order_staff = references(&order_stage.keys.staff, &mut staff);
    let mut position_of_slot = vec![0u32; accepted_orders];
    let mut orders = Vec::with_capacity(order_items.len());
    let mut order_details = Vec::with_capacity(order_items.len());
    for (position, &row) in order_items.iter().enumerate() {
        let o = &order_rows[row as usize];
        position_of_slot[slot_of_row[row as usize] as usize] = position as u32;
        orders.push(OrderRow {
            created_at: o.created_at,
            total: o.total,
            status: o.status,
            has_voucher: o.has_voucher,
            social: o.fanpage.is_some(),
        });
        order_details.push(OrderDetail {
            cost_of_goods: o.cost_of_goods,
            id: row,
            fanpage: reference(
                o.fanpage,
                &order_fanpages,
                fanpages.known,
                &mut warnings[Warning::UnknownFanpage as usize],
            ),
            staff: reference(
                o.staff,
                &order_staff,
                staff.known,
                &mut warnings[Warning::UnknownStaff as usize],
            ),
        });
    }
    drop((order_items, order_stage.rows, slot_of_row));

    // Lines: runs per order, in input order.
    let line_rows = &line_stage.rows;
    let line_items: Vec<(u32, u32)> = valid_lines
        .iter()
        .map(|&(row, slot)| (row, position_of_slot[slot as usize]))
        .collect();
    drop((valid_lines, position_of_slot));
    let (line_runs, line_items) = runs(orders.len(), &line_items, |&(_, position)| {
        position as usize
    });
    let lines: Vec<LineRow> = line_items
        .iter()
        .map(|&row| {
            let l = &line_rows[row as usize];
            LineRow {
                product: l.product,
                quantity: l.quantity,
            }
        })
        .collect();
    let products = line_stage.keys.product;
    drop((line_items, line_stage.rows));

    let last_secs = |runs: &[u32], at: &dyn Fn(usize) -> Ts| -> Vec<i64> {
        runs.windows(2)
            .map(|run| {
                if run[1] > run[0] {
                    at(run[1] as usize - 1).secs
                } else {
                    i64::MIN
                }
            })
            .collect()
    };
    let last_order_secs = last_secs(&order_runs, &|i| orders[i].created_at);
    let purchase_totals = order_runs
        .windows(2)
        .map(|run| {
            let mut totals = PurchaseTotals::default();
            let mut spend = DecimalSum::new();
            for o in orders[run[0] as usize..run[1] as usize]
                .iter()
                .filter(|o| o.is_completed())
            {
                totals.count += 1;
                totals.vouchers += u32::from(o.has_voucher);
                totals.last_at = Some(o.created_at);
                spend.add(o.total);
            }
            totals.spend = spend.finish("purchase totals").ok();
            totals
        })
        .collect();
    let last_interaction_secs = last_secs(&interaction_runs, &|i| interactions[i].at);
    let first_social_message = interaction_runs
        .windows(2)
        .map(|run| {
            interactions[run[0] as usize..run[1] as usize]
                .iter()
                .find(|i| i.is_inbound() && i.kind.is_message_or_comment() && i.is_social())
                .map(|i| i.at)
        })
        .collect();
    quality.warnings = warnings;

    // Deals by (created_at, input order); costs by (date, input order). Their sources
    // and product types share one dataset-wide interner each.
    let mut marketing_sources = Interner::default();
    let mut product_types = Interner::default();
    let deal_sources = merge_into(&deal_stage.keys.source, &mut marketing_sources);
    let deal_types = merge_into(&deal_stage.keys.product_type, &mut product_types);
    let mut deal_items = valid_deals;
    deal_items.sort_by_key(|&(row, _)| (deal_stage.rows[row as usize].created_at, row));
    let deals: Vec<DealRow> = deal_items
        .iter()
        .map(|&(row, _)| {
            let d = &deal_stage.rows[row as usize];
            DealRow {
                created_at: d.created_at,
                handed_over_at: d.handed_over_at,
                opportunity_at: d.opportunity_at,
                won_at: d.won_at,
                revenue: d.revenue,
                source: deal_sources[d.source as usize],
                product_type: d
                    .product_type
                    .get()
                    .map_or(OptKey::NONE, |k| OptKey::some(deal_types[k as usize])),
            }
        })
        .collect();
    let cost_sources = merge_into(&cost_stage.keys.source, &mut marketing_sources);
    let cost_types = merge_into(&cost_stage.keys.product_type, &mut product_types);
    let mut cost_items = valid_costs;
    cost_items.sort_by_key(|&row| (cost_stage.rows[row as usize].date, row));
    let costs: Vec<CostRow> = cost_items
        .iter()
        .map(|&row| {
            let c = &cost_stage.rows[row as usize];
            CostRow {
                date: c.date,
                source: cost_sources[c.source as usize],
                product_type: c
                    .product_type
                    .get()
                    .map_or(OptKey::NONE, |k| OptKey::some(cost_types[k as usize])),
                amount: c.amount,
            }
        })
        .collect();

    let deal_index = super::deal_index::DealIndex::new(&deals);
    let inbound = super::social_index::InboundIndex::build(&interaction_runs, &interactions);
    let engagement = super::engagement::EngagementIndex::build(
        &customers,
        &interaction_runs,
        &interactions,
        campaigns.keys.len(),
    );
    Ok(Dataset {
        customers,
        customer_ids,
        customer_by_load,
        customer_text,
        order_runs,
        orders,
        order_details,
        order_ids,
        line_runs,
        lines,
        products,
        interaction_runs,
        interactions,
        last_order_secs,
        last_interaction_secs,
        purchase_totals,
        first_social_message,
        refs,
        deals,
        deal_index,
        costs,
        marketing_sources,
        product_types,
        staff,
        fanpages,
        campaigns,
        quality,
        engagement,
        inbound,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Channel, Direction, InteractionKind, OrderStatus, Source};
    use chrono::{DateTime, TimeZone, Utc};
    use rust_decimal::Decimal;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).unwrap()
    }

    fn customer(id: &str, created: DateTime<Utc>) -> Customer {
        Customer {
            id: id.into(),
            created_at: created,
            source: Source::Pos,
            name: None,
            phone: Some("0901".into()),
            email: Some(String::new()), // empty = absent
            gender: None,
            birth_date: None,
            zalo_id: None,
            facebook_id: None,
            notes: None,
        }
    }

    fn order(id: &str, customer: &str, created: DateTime<Utc>) -> Order {
        Order {
            id: id.into(),
            customer_id: customer.into(),
            created_at: created,
            status: OrderStatus::Completed,
            total: Decimal::from(10),
            cost_of_goods: None,
            source: None,
            fanpage_id: None,
            staff_id: None,
            voucher_code: None,
        }
    }

    fn line(order: &str, product: &str) -> OrderLine {
        OrderLine {
            order_id: order.into(),
            product_id: product.into(),
            product_name: None,
            product_type: None,
            quantity: 1,
            unit_price: Decimal::ONE,
        }
    }

    fn interaction(id: &str, customer: &str, when: DateTime<Utc>) -> Interaction {
        Interaction {
            id: id.into(),
            customer_id: customer.into(),
            at: when,
            channel: Channel::Zalo,
            kind: InteractionKind::Message,
            direction: Direction::Inbound,
            fanpage_id: None,
            staff_id: None,
            automated: false,
            campaign_id: None,
            ref_id: None,
        }
    }

    #[test]
    fn indexes_are_sorted_once() {
        let mut b = DatasetBuilder::new();
        // Input order KH_B, KH_A, KH_C; KH_A and KH_C are created at the same instant.
        b.push_customer(&customer("KH_B", at(5, 0)));
        b.push_customer(&customer("KH_A", at(1, 0)));
        b.push_customer(&customer("KH_C", at(1, 0)));
        // KH_A's orders out of order, two at the same instant: ties go by id, as text.
        b.push_order(&order("DH10", "KH_A", at(3, 0)));
        b.push_order(&order("DH9", "KH_A", at(3, 0)));
        b.push_order(&order("DH1", "KH_A", at(4, 0)));
        b.push_order(&order("DH0", "KH_A", at(2, 0)));
        b.push_order(&order("DH5", "KH_B", at(6, 0)));
        // Lines in input order within an order, interleaved across orders.
        b.push_order_line(&line("DH10", "SP2"));
        b.push_order_line(&line("DH5", "SP9"));
        b.push_order_line(&line("DH10", "SP1"));
        b.push_interaction(&interaction("T2", "KH_A", at(9, 0)));
        b.push_interaction(&interaction("T1", "KH_A", at(8, 0)));
        b.push_interaction(&interaction("T3", "KH_C", at(8, 0)));
        let d = b.build().unwrap();

        // Customers by (created_at, input order): KH_A, KH_C, KH_B.
        let ids: Vec<String> = d
            .customer_indices()
            .map(|i| d.customer(i).unwrap().id)
            .collect();
        assert_eq!(ids, ["KH_A", "KH_C", "KH_B"]);
        let a = d.customer_idx("KH_A").unwrap();
        let order_ids: Vec<&str> = d
            .orders_of(a)
            .iter()
            .map(|o| o.created_at)
            .zip(d.order_details[d.first_order_position(a)..].iter())
            .map(|(_, o)| d.order_ids.resolve(o.id))
            .collect();
        // DH0 (2nd), then DH10 and DH9 at the same instant ("DH10" < "DH9" as text), DH1.
        assert_eq!(order_ids, ["DH0", "DH10", "DH9", "DH1"]);
        let dh10 = d.first_order_position(a) + 1;
        let products: Vec<&str> = d
            .lines_of(dh10)
            .iter()
            .map(|l| d.products.resolve(l.product))
            .collect();
        assert_eq!(products, ["SP2", "SP1"]);
        let times: Vec<u32> = d
            .interactions_of(a)
            .iter()
            .map(|i| chrono::Datelike::day(&i.at.to_datetime()))
            .collect();
        assert_eq!(times, [8, 9]);
        assert_eq!(d.interactions_of(d.customer_idx("KH_C").unwrap()).len(), 1);
        assert!(
            d.interactions_of(d.customer_idx("KH_B").unwrap())
                .is_empty()
        );
        // Contacts: a phone, and an empty email that is absent.
        let row = d.customers[a.index()];
        assert!(row.contacts.has(Contacts::PHONE));
        assert!(!row.contacts.has(Contacts::EMAIL));
        assert_eq!(d.customer(a).unwrap().email, None);
        // Customers existing at the end of March 1st: KH_A and KH_C.
        assert_eq!(d.customers_at(at(1, 23)), 0..2);
        assert_eq!(
            d.customers_at(at(1, 0) - chrono::Duration::seconds(1)),
            0..0
        );
    }

    #[test]
    fn struct_rows_with_empty_required_text_are_parse_errors() {
        let mut b = DatasetBuilder::new();
        b.push_customer(&customer("", at(1, 0)));
        b.push_customer(&customer("KH1", at(1, 0)));
        b.push_order_line(&line("DH1", ""));
        let d = b.build().unwrap();
        let r: Vec<(Table, u64, Option<&str>)> = d
            .quality()
            .rejections()
            .iter()
            .map(|r| (r.table, r.line, r.column))
            .collect();
        // Struct rows are numbered by their position in their table.
        assert_eq!(
            r,
            [
                (Table::Customers, 1, Some("id")),
                (Table::OrderLines, 1, Some("product_id"))
            ]
        );
    }

    #[test]
    fn unknown_references_are_kept_and_named() {
        let mut b = DatasetBuilder::new();
        b.push_staff(&Staff {
            id: "NV1".into(),
            name: "Lan".into(),
        });
        b.push_customer(&customer("KH1", at(1, 0)));
        let mut o = order("DH1", "KH1", at(2, 0));
        o.staff_id = Some("NV9".into());
        b.push_order(&o);
        let d = b.build().unwrap();
        let staff = d.order_details[0].staff.get().unwrap();
        assert_eq!(d.staff.id(staff), "NV9");
        assert!(d.staff.info(staff).is_none());
        assert_eq!(
            d.staff
                .info(d.staff.keys.get("NV1").unwrap())
                .map(String::as_str),
            Some("Lan")
        );
        assert_eq!(d.quality().warnings(Warning::UnknownStaff), 1);
    }
}
