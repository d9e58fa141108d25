//! [`DatasetBuilder`]: rows in, a validated and indexed [`Dataset`] out.

use crate::dataset::index::{
    CampaignInfo, Contacts, CostRow, CustomerIdx, CustomerRow, CustomerText, DealRow, Entities,
    FanpageInfo, InteractionRow, LineRow, OptKey, OrderRow,
};
use crate::dataset::intern::Interner;
use crate::dataset::quality::{DataQuality, TableCounts};
use crate::dataset::stage::{Arena, Span, Stage, TableStage};
use crate::dataset::{Dataset, validate};
use crate::error::{Error, Rejection, Result, Table, Warning};
use crate::model::{Campaign, Cost, Customer, Deal, Fanpage, Interaction, Order, OrderLine, Staff};

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
/// use crm_metrics::{DatasetBuilder, Reason};
/// use rust_decimal::Decimal;
///
/// let at = Utc.with_ymd_and_hms(2026, 11, 1, 3, 0, 0).unwrap();
/// let mut builder = DatasetBuilder::new();
/// builder.push_customer(&Customer {
///     id: "KH1".into(), created_at: at, source: Source::Pos, name: None, phone: None,
///     email: None, gender: None, birth_date: None, zalo_id: None, facebook_id: None, notes: None,
/// });
/// let order = |id: &str, customer: &str| Order {
///     id: id.into(), customer_id: customer.into(), created_at: at, status: OrderStatus::Completed,
///     total: Decimal::from(125_000), cost_of_goods: None, source: None, fanpage_id: None,
///     staff_id: None, voucher_code: None,
/// };
/// builder.push_order(&order("DH1", "KH1"));
/// builder.push_order(&order("DH2", "KH9")); // no such customer
/// let dataset = builder.build()?;
///
/// assert_eq!(dataset.order_count(), 1);
/// let rejected = &dataset.quality().rejections()[0];
/// assert_eq!((rejected.line, rejected.reason), (2, Reason::UnknownCustomer));
/// # Ok::<(), crm_metrics::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct DatasetBuilder {
    pub(crate) stage: Stage,
    strict: bool,
}

impl DatasetBuilder {
    /// An empty builder (lenient: bad rows are rejected and reported, not errors).
    pub fn new() -> DatasetBuilder {
        DatasetBuilder::default()
    }

    /// Strict mode (SPEC §2): [`build`](DatasetBuilder::build) fails with
    /// [`Error::Rejected`] naming the first bad row (tables in SPEC §2's order, then line)
    /// instead of rejecting it.
    pub fn strict(mut self, strict: bool) -> DatasetBuilder {
        self.strict = strict;
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

    /// Validates every row (SPEC §2, §9.3-§9.9) and indexes the accepted ones.
    ///
    /// Cost: `O(n)` for validation and interning (hash look-ups), plus sorting each
    /// customer's orders and interactions by time and the deals and costs: `O(n log n)`
    /// at worst, near `O(n)` in practice since per-customer runs are short. Memory of the
    /// result per accepted row: customer 32 bytes + its text, order 80 bytes + its id,
    /// order line 16, interaction 40, deal 128, cost 32, plus a 4-byte run offset per
    /// customer and per order ([`Dataset::heap_bytes`] measures it).
    ///
    /// # Errors
    /// * [`Error::Rejected`] in strict mode, for the first bad row.
    /// * [`Error::InvalidArgument`] when a table has 2^32 rows or more.
    pub fn build(self) -> Result<Dataset> {
        build(self.stage, self.strict)
    }
}

/// Sorts rejections of one table into file order and checks row counts.
fn check_size<R>(table: Table, stage: &TableStage<R>) -> Result<()> {
    if stage.rows.len() >= u32::MAX as usize {
        return Err(Error::InvalidArgument(format!(
            "{table}.csv has {} rows: at most {} are supported",
            stage.rows.len(),
            u32::MAX - 1
        )));
    }
    Ok(())
}

/// Counting sort of `items` into runs by `group` (`0..groups`), keeping input order
/// within a run: returns the run offsets (`groups + 1` of them) and the items.
fn runs<T: Copy>(groups: usize, items: &[T], group: impl Fn(&T) -> usize) -> (Vec<u32>, Vec<T>) {
    let mut offsets = vec![0u32; groups + 1];
    for item in items {
        offsets[group(item) + 1] += 1;
    }
    for i in 0..groups {
        offsets[i + 1] += offsets[i];
    }
    let mut next = offsets.clone();
    // Every position is written exactly once below; the copy only sizes the vector.
    let mut placed = items.to_vec();
    for item in items {
        let slot = &mut next[group(item)];
        placed[*slot as usize] = *item;
        *slot += 1;
    }
    (offsets, placed)
}

/// Interns a reference to a staff member, fanpage or campaign; an id with no accepted
/// row is kept (so reports can name it) and counted as a warning.
fn reference<I>(entities: &mut Entities<I>, id: Option<&str>, warnings: &mut u64) -> OptKey {
    let Some(id) = id else { return OptKey::NONE };
    match entities.keys.intern(id) {
        Some((key, _)) => {
            if key >= entities.known {
                *warnings += 1;
            }
            OptKey::some(key)
        }
        None => OptKey::NONE,
    }
}

fn entities<R, I>(
    table: Table,
    stage: &TableStage<R>,
    line: impl Fn(&R) -> u64,
    id: impl Fn(&R) -> Span,
    info: impl Fn(&R, &Arena) -> I,
    out: &mut Vec<Rejection>,
) -> Entities<I> {
    let (keys, accepted) = validate::entities(table, stage, line, id, out);
    Entities {
        known: keys.len() as u32,
        keys,
        info: accepted
            .iter()
            .map(|&i| info(&stage.rows[i as usize], &stage.arena))
            .collect(),
    }
}

fn build(stage: Stage, strict: bool) -> Result<Dataset> {
    let Stage {
        customers: customer_stage,
        orders: order_stage,
        order_lines: line_stage,
        deals: deal_stage,
        costs: cost_stage,
        interactions: interaction_stage,
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

    // Validation, table by table; rejections of each table in `rejected[table]`.
    let mut rejected: [Vec<Rejection>; 9] = Default::default();
    let mut staff = entities(
        Table::Staff,
        &staff_stage,
        validate::staff_line,
        |r| r.id,
        |r, a| a.get(r.name).to_owned(),
        &mut rejected[Table::Staff.index()],
    );
    let mut fanpages = entities(
        Table::Fanpages,
        &fanpage_stage,
        validate::fanpage_line,
        |r| r.id,
        |r, a| FanpageInfo {
            name: a.get(r.name).to_owned(),
            channel: r.channel,
            activated: r.activated,
            linked_accounts: r.linked_accounts,
        },
        &mut rejected[Table::Fanpages.index()],
    );
    let mut campaigns = entities(
        Table::Campaigns,
        &campaign_stage,
        validate::campaign_line,
        |r| r.id,
        |r, a| CampaignInfo {
            name: a.get(r.name).to_owned(),
            channel: r.channel,
        },
        &mut rejected[Table::Campaigns.index()],
    );
    let valid_customers =
        validate::customers(&customer_stage, &mut rejected[Table::Customers.index()]);
    let valid_orders = validate::orders(
        &order_stage,
        &valid_customers,
        &mut rejected[Table::Orders.index()],
    );
    let valid_lines = validate::order_lines(
        &line_stage,
        &valid_orders,
        &mut rejected[Table::OrderLines.index()],
    );
    let valid_deals = validate::deals(
        &deal_stage,
        &valid_customers,
        &mut rejected[Table::Deals.index()],
    );
    let valid_costs = validate::costs(&cost_stage, &mut rejected[Table::Costs.index()]);
    let valid_interactions = validate::interactions(
        &interaction_stage,
        &valid_customers,
        &mut rejected[Table::Interactions.index()],
    );

    // Data quality: parse errors from staging join the validation rejections, in file
    // order within each table, tables in SPEC §2's order (SPEC §9.7).
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
    let parse_errors = [
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
        let mut rows: Vec<Rejection> = parse_errors[t]
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

    // Customers, numbered by (created_at, input order).
    let mut by_created: Vec<u32> = (0..valid_customers.accepted.len() as u32).collect();
    let created = |load: u32| {
        customer_stage.rows[valid_customers.accepted[load as usize] as usize].created_at
    };
    by_created.sort_by_key(|&load| (created(load), load));
    let mut customer_by_load = vec![CustomerIdx(0); by_created.len()];
    let mut customers = Vec::with_capacity(by_created.len());
    for (idx, &load) in by_created.iter().enumerate() {
        customer_by_load[load as usize] = CustomerIdx(idx as u32);
        let row = &customer_stage.rows[valid_customers.accepted[load as usize] as usize];
        let has = |i: usize| !row.text[i].is_empty();
        customers.push(CustomerRow {
            created_at: row.created_at,
            birth_date: row.birth_date,
            load,
            source: row.source,
            gender: row.gender,
            contacts: Contacts::new(has(1), has(2), has(3), has(4)),
        });
    }
    let customer_text = CustomerText {
        rows: valid_customers
            .accepted
            .iter()
            .map(|&i| {
                let r = &customer_stage.rows[i as usize];
                [
                    r.id, r.text[0], r.text[1], r.text[2], r.text[3], r.text[4], r.text[5],
                ]
            })
            .collect(),
        arena: customer_stage.arena,
    };
    let customer_of = |key: u32| customer_by_load[key as usize];

    // Orders: runs per customer, each sorted by (created_at, id).
    let mut warnings = [0u64; 3];
    let (order_runs, mut order_slots) =
        runs(customers.len(), &valid_orders.accepted, |&(_, c, _)| {
            customer_of(c).index()
        });
    let order_key =
        |&(row, _, key): &(u32, u32, u32)| (order_stage.rows[row as usize].created_at, key);
    for run in order_runs.windows(2) {
        order_slots[run[0] as usize..run[1] as usize].sort_by(|a, b| {
            let ((ta, ka), (tb, kb)) = (order_key(a), order_key(b));
            ta.cmp(&tb).then_with(|| {
                valid_orders
                    .ids
                    .resolve(ka)
                    .cmp(valid_orders.ids.resolve(kb))
            })
        });
    }
    let mut position_of_slot = vec![0u32; valid_orders.accepted.len()];
    let mut orders = Vec::with_capacity(order_slots.len());
    for (position, &(row, _, key)) in order_slots.iter().enumerate() {
        let o = &order_stage.rows[row as usize];
        let slot = valid_orders.slot_of_key[key as usize];
        position_of_slot[slot as usize] = position as u32;
        orders.push(OrderRow {
            created_at: o.created_at,
            total: o.total,
            cost_of_goods: o.cost_of_goods,
            id: key,
            fanpage: reference(
                &mut fanpages,
                order_stage.arena.opt(o.fanpage_id),
                &mut warnings[Warning::UnknownFanpage as usize],
            ),
            staff: reference(
                &mut staff,
                order_stage.arena.opt(o.staff_id),
                &mut warnings[Warning::UnknownStaff as usize],
            ),
            status: o.status,
            has_voucher: !o.voucher_code.is_empty(),
        });
    }
    drop(order_slots);
    let order_ids = valid_orders.ids;
    drop(order_stage);

    // Lines: runs per order, in input order.
    let mut products = Interner::default();
    let line_items: Vec<(u32, u32)> = valid_lines
        .iter()
        .map(|&(row, slot)| (row, position_of_slot[slot as usize]))
        .collect();
    let (line_runs, line_items) = runs(orders.len(), &line_items, |&(_, position)| {
        position as usize
    });
    let mut lines = Vec::with_capacity(line_items.len());
    for &(row, _) in &line_items {
        let l = &line_stage.rows[row as usize];
        let product = match products.intern(line_stage.arena.get(l.product_id)) {
            Some((key, _)) => key,
            None => u32::MAX,
        };
        lines.push(LineRow {
            product,
            quantity: l.quantity,
        });
    }
    drop((line_items, line_stage, position_of_slot));

    // Interactions: runs per customer, each sorted by (at, input order).
    let (interaction_runs, mut interaction_items) =
        runs(customers.len(), &valid_interactions, |&(_, c)| {
            customer_of(c).index()
        });
    for run in interaction_runs.windows(2) {
        interaction_items[run[0] as usize..run[1] as usize]
            .sort_by_key(|&(row, _)| (interaction_stage.rows[row as usize].at, row));
    }
    let mut refs = Interner::default();
    let mut interactions = Vec::with_capacity(interaction_items.len());
    for &(row, _) in &interaction_items {
        let i = &interaction_stage.rows[row as usize];
        let arena = &interaction_stage.arena;
        let ref_id = match arena.opt(i.ref_id).and_then(|r| refs.intern(r)) {
            Some((key, _)) => OptKey::some(key),
            None => OptKey::NONE,
        };
        interactions.push(InteractionRow {
            at: i.at,
            fanpage: reference(
                &mut fanpages,
                arena.opt(i.fanpage_id),
                &mut warnings[Warning::UnknownFanpage as usize],
            ),
            staff: reference(
                &mut staff,
                arena.opt(i.staff_id),
                &mut warnings[Warning::UnknownStaff as usize],
            ),
            campaign: reference(
                &mut campaigns,
                arena.opt(i.campaign_id),
                &mut warnings[Warning::UnknownCampaign as usize],
            ),
            ref_id,
            channel: i.channel,
            kind: i.kind,
            direction: i.direction,
            automated: i.automated,
        });
    }
    drop((interaction_items, interaction_stage));
    quality.warnings = warnings;

    // Deals by (created_at, input order); costs by (date, input order).
    let mut marketing_sources = Interner::default();
    let mut product_types = Interner::default();
    let intern_opt =
        |interner: &mut Interner, text: Option<&str>| match text.and_then(|t| interner.intern(t)) {
            Some((key, _)) => OptKey::some(key),
            None => OptKey::NONE,
        };
    let mut deal_items = valid_deals;
    deal_items.sort_by_key(|&(row, _)| (deal_stage.rows[row as usize].created_at, row));
    let mut deals = Vec::with_capacity(deal_items.len());
    for &(row, customer) in &deal_items {
        let d = &deal_stage.rows[row as usize];
        let source = intern_opt(&mut marketing_sources, Some(deal_stage.arena.get(d.source)));
        deals.push(DealRow {
            created_at: d.created_at,
            handed_over_at: d.handed_over_at,
            opportunity_at: d.opportunity_at,
            won_at: d.won_at,
            revenue: d.revenue,
            source: source.get().unwrap_or(u32::MAX),
            product_type: intern_opt(&mut product_types, deal_stage.arena.opt(d.product_type)),
            customer: customer.map(customer_of),
        });
    }
    let mut cost_items = valid_costs;
    cost_items.sort_by_key(|&row| (cost_stage.rows[row as usize].date, row));
    let mut costs = Vec::with_capacity(cost_items.len());
    for &row in &cost_items {
        let c = &cost_stage.rows[row as usize];
        let source = intern_opt(&mut marketing_sources, Some(cost_stage.arena.get(c.source)));
        costs.push(CostRow {
            date: c.date,
            source: source.get().unwrap_or(u32::MAX),
            product_type: intern_opt(&mut product_types, cost_stage.arena.opt(c.product_type)),
            amount: c.amount,
        });
    }

    let deal_index = super::deal_index::DealIndex::new(&deals);
    Ok(Dataset {
        customers,
        customer_ids: valid_customers.ids,
        customer_by_load,
        customer_text,
        order_runs,
        orders,
        order_ids,
        line_runs,
        lines,
        products,
        interaction_runs,
        interactions,
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
    })
}
