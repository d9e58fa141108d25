//! Staged rows: what the builder holds before validation.
//!
//! Both input paths end here: a model struct (`DatasetBuilder::push_*`) or a CSV record
//! (`io::csv`) is parsed into borrowed `*Fields`, and one `TableStage::push_*` per table
//! stages it. Staging does the part of validation that needs nothing but the row and its
//! predecessors in file order:
//!
//! * a row that parsed **claims its id** (docs/input-format.md#rejections); a later row with a claimed id is
//!   rejected `duplicate_id` right here (it outranks every later rule, docs/input-format.md#rejections), so
//!   every staged row holds a new id and the `k`-th staged row owns id key `k`
//!   (a row claims only once everything it refers to is interned, so a claim is never
//!   left without its row);
//! * the ids a row refers to (customer, order, product, fanpage, staff, campaign, …) are
//!   interned into the table's own [`Keys`], so a staged row is a few `u32` keys, and
//!   validation resolves each distinct key once rather than each row's text.
//!
//! Staged rows are compact (an interaction is 48 bytes) and no string is allocated per
//! row. Tables are staged independently of each other, so files can be parsed in
//! parallel; everything that needs another table (unknown references, warnings) happens
//! at validation (`validate.rs`).

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::calendar::Ts;
use crate::dataset::intern::Interner;
use crate::dataset::storage::{Arena, OptKey, Span};
use crate::error::{Origin, Reason, Rejection, Table};
use crate::model::{
    Campaign, Channel, Cost, Customer, Deal, Direction, Fanpage, Gender, Interaction,
    InteractionKind, Order, OrderLine, OrderStatus, Source, Staff,
};

/// A line number as stored in a staged row. Files of more than 4 billion lines (far
/// beyond any export this crate is for) would report `u32::MAX` as the line of a row
/// rejected at validation; staging itself keeps full `u64` line numbers.
pub(crate) fn line32(line: u64) -> u32 {
    u32::try_from(line).unwrap_or(u32::MAX)
}

/// A value that failed the value grammar (docs/input-format.md#values), or a missing required value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FieldError {
    pub(crate) column: &'static str,
    pub(crate) problem: &'static str,
    pub(crate) value: String,
}

impl FieldError {
    #[cold]
    #[inline(never)]
    pub(crate) fn new(column: &'static str, problem: &'static str, value: &[u8]) -> FieldError {
        // Show at most 60 characters of the offending value.
        let text = String::from_utf8_lossy(value);
        let mut value: String = text.chars().take(60).collect();
        if text.chars().nth(60).is_some() {
            value.push('…');
        }
        FieldError {
            column,
            problem,
            value,
        }
    }

    #[cold]
    pub(crate) fn missing(column: &'static str) -> FieldError {
        FieldError {
            column,
            problem: "missing required value",
            value: String::new(),
        }
    }

    #[cold]
    pub(crate) fn into_rejection(self, table: Table, line: u64, id: Option<&str>) -> Rejection {
        let detail = if self.value.is_empty() {
            self.problem.to_owned()
        } else {
            format!("{}: {:?}", self.problem, self.value)
        };
        Rejection::bounded(
            table,
            line,
            id,
            Some(self.column),
            Reason::ParseError,
            detail,
            Origin::CsvLine,
        )
    }
}

/// One table's own interners for the ids and free texts its rows refer to. Which ones
/// a table uses depends on the table; the others stay empty.
#[derive(Clone, Debug, Default)]
pub(crate) struct Keys {
    pub(crate) customer: Interner,
    pub(crate) order: Interner,
    pub(crate) product: Interner,
    pub(crate) fanpage: Interner,
    pub(crate) staff: Interner,
    pub(crate) campaign: Interner,
    pub(crate) reference: Interner,
    pub(crate) source: Interner,
    pub(crate) product_type: Interner,
}

/// The key of `text`; `None` only when the interner is full (4 GiB of distinct ids).
fn key(interner: &mut Interner, text: &str) -> Option<u32> {
    interner.intern_repeated(text).map(|(k, _)| k)
}

fn opt_key(interner: &mut Interner, text: Option<&str>) -> Option<OptKey> {
    match text {
        None => Some(OptKey::NONE),
        Some(t) => key(interner, t).map(OptKey::some),
    }
}

/// One table's staged rows, with what staging rejected.
#[derive(Clone, Debug)]
pub(crate) struct TableStage<R> {
    pub(crate) rows: Vec<R>,
    /// The line where each staged row starts (`lines[k]` for `rows[k]`, saturating at
    /// `u32::MAX`: see [`line32`]) for tables whose rows validation can reject. Apart
    /// from the rows, so that the build drops it once validation is done.
    pub(crate) lines: Vec<u32>,
    /// Rows read (docs/input-format.md `read`): staged rows plus rejections.
    pub(crate) read: u64,
    pub(crate) rejections: Vec<Rejection>,
    /// Ids claimed by staged rows: key `k` belongs to `rows[k]`.
    pub(crate) ids: Interner,
    pub(crate) keys: Keys,
    /// Text kept for output (customers' stored columns).
    pub(crate) arena: Arena,
    /// The rows pushed as structs, as half-open ranges of row indices (usually one): a
    /// rejection of such a row is a [`Origin::PushedRow`], not a CSV line.
    pub(crate) pushed: Vec<(usize, usize)>,
}

impl<R> Default for TableStage<R> {
    fn default() -> TableStage<R> {
        TableStage {
            rows: Vec::new(),
            lines: Vec::new(),
            read: 0,
            rejections: Vec::new(),
            ids: Interner::default(),
            keys: Keys::default(),
            arena: Arena::default(),
            pushed: Vec::new(),
        }
    }
}

impl<R> TableStage<R> {
    /// The line number of the next pushed struct row (1-based position in its table).
    pub(crate) fn next_line(&self) -> u64 {
        self.read + 1
    }

    /// Whether staged row `row` was pushed as a struct or read from CSV.
    pub(crate) fn origin(&self, row: usize) -> Origin {
        if self
            .pushed
            .iter()
            .any(|&(start, end)| start <= row && row < end)
        {
            Origin::PushedRow
        } else {
            Origin::CsvLine
        }
    }

    /// Reserves room for about `rows` more rows, with their ids. The count is an
    /// estimate (a file's size, an iterator's size hint), so a reservation the allocator
    /// refuses is skipped rather than a panic: the rows then grow as they come.
    pub(crate) fn reserve(&mut self, rows: usize)
    where
        R: Staged,
    {
        let _ = self.rows.try_reserve(rows);
        // The tables whose rows validation can reject keep their lines apart.
        if matches!(
            R::TABLE,
            Table::Orders | Table::OrderLines | Table::Deals | Table::Costs | Table::Interactions
        ) {
            let _ = self.lines.try_reserve(rows);
        }
        if R::TABLE.has_id() {
            self.ids.reserve(rows, 12);
        }
    }

    /// Records a row that failed to parse.
    #[cold]
    pub(crate) fn reject(&mut self, table: Table, line: u64, id: Option<&str>, error: FieldError) {
        self.read += 1;
        self.rejections.push(error.into_rejection(table, line, id));
    }

    /// Records a record whose shape is wrong (field count, unclosed quote).
    #[cfg(feature = "csv")]
    #[cold]
    pub(crate) fn reject_record(&mut self, rejection: Rejection) {
        self.read += 1;
        self.rejections.push(rejection);
    }

    /// Claims `id` for a row that parsed (docs/input-format.md#rejections). `false`, with a `duplicate_id`
    /// rejection recorded, when an earlier row claimed it.
    fn claim(&mut self, table: Table, line: u64, id: &str) -> bool {
        match self.ids.intern(id) {
            Some((_, true)) => {
                self.read += 1;
                true
            }
            Some((_, false)) => {
                self.read += 1;
                self.duplicate(table, line, id);
                false
            }
            None => {
                self.too_large(table, line, Some(id));
                false
            }
        }
    }

    /// A row whose ids do not fit: the table holds 4 GiB of distinct ids already.
    #[cold]
    fn too_large(&mut self, table: Table, line: u64, id: Option<&str>) {
        let error = FieldError::new(
            "id",
            "the table's ids exceed 4 GiB: it cannot be indexed",
            &[],
        );
        self.reject(table, line, id, error);
    }

    #[cold]
    #[inline(never)]
    fn duplicate(&mut self, table: Table, line: u64, id: &str) {
        let shown = crate::error::clip(id, crate::error::ID_LIMIT);
        self.rejections.push(Rejection::bounded(
            table,
            line,
            Some(id),
            Some("id"),
            Reason::DuplicateId,
            format!("{shown} is already claimed by an earlier row"),
            Origin::CsvLine,
        ));
    }

    /// Reserves room for exactly `rows` more rows (and their lines), when the
    /// allocator grants it at once; otherwise nothing (the rows then grow as they come).
    /// For a count known in advance (a Parquet file's row count): no room beyond it, no
    /// copy as the rows grow. Room never used is address space, not memory. The ids get
    /// room for at most `plausible` of the rows (a bound the caller trusts, such as one
    /// row per byte of the file), as their reservation cannot fail softly.
    #[cfg(feature = "parquet")]
    pub(crate) fn try_reserve_exact(&mut self, rows: usize, plausible: usize)
    where
        R: Staged,
    {
        if self.rows.try_reserve_exact(rows).is_err() {
            return;
        }
        if R::TABLE.has_id() {
            self.ids.reserve(rows.min(plausible), 12);
        }
        if matches!(
            R::TABLE,
            Table::Orders | Table::OrderLines | Table::Deals | Table::Costs | Table::Interactions
        ) {
            // Failing here only means the lines grow as they come.
            let _ = self.lines.try_reserve_exact(rows);
        }
    }
}

/// A staged row type, knowing its table.
pub(crate) trait Staged {
    /// The row's table.
    const TABLE: Table;
}

macro_rules! staged {
    ($($row:ident => $table:ident),* $(,)?) => {
        $(impl Staged for $row {
            const TABLE: Table = Table::$table;
        })*
    };
}

staged! {
    StagedCustomer => Customers,
    StagedOrder => Orders,
    StagedLine => OrderLines,
    StagedDeal => Deals,
    StagedCost => Costs,
    StagedInteraction => Interactions,
    StagedCampaign => Campaigns,
    StagedStaff => Staff,
    StagedFanpage => Fanpages,
}

/// A customer. Its id key is its position. Customers, campaigns, staff and fanpages
/// are never rejected after staging, so their staged rows keep no line number.
#[derive(Clone, Debug)]
pub(crate) struct StagedCustomer {
    pub(crate) created_at: Ts,
    pub(crate) birth_date: Option<NaiveDate>,
    pub(crate) source: Source,
    pub(crate) gender: Option<Gender>,
    /// id, name, phone, email, zalo_id, facebook_id, notes.
    pub(crate) text: [Span; 7],
}

/// An order. Its id key is its position; `customer` is a key in `keys.customer`.
#[derive(Clone, Debug)]
pub(crate) struct StagedOrder {
    pub(crate) created_at: Ts,
    pub(crate) total: Decimal,
    pub(crate) cost_of_goods: Option<Decimal>,
    pub(crate) customer: u32,
    pub(crate) fanpage: OptKey,
    pub(crate) staff: OptKey,
    pub(crate) status: OrderStatus,
    pub(crate) has_voucher: bool,
}

impl StagedOrder {
    /// The order's indexed row (what reports read), as the build and `Dataset::apply`
    /// store it.
    pub(crate) fn row(&self) -> crate::dataset::index::OrderRow {
        crate::dataset::index::OrderRow {
            created_at: self.created_at,
            total: self.total,
            status: self.status,
            has_voucher: self.has_voucher,
            social: self.fanpage.is_some(),
        }
    }
}

/// An order line: `order` and `product` are keys in `keys.order` and `keys.product`.
#[derive(Clone, Debug)]
pub(crate) struct StagedLine {
    pub(crate) quantity: i64,
    pub(crate) unit_price: Decimal,
    pub(crate) order: u32,
    pub(crate) product: u32,
}

/// A deal. Its id key is its position.
#[derive(Clone, Debug)]
pub(crate) struct StagedDeal {
    pub(crate) created_at: Ts,
    pub(crate) handed_over_at: Option<Ts>,
    pub(crate) opportunity_at: Option<Ts>,
    pub(crate) won_at: Option<Ts>,
    pub(crate) revenue: Option<Decimal>,
    pub(crate) customer: OptKey,
    pub(crate) source: u32,
    pub(crate) product_type: OptKey,
}

/// A cost.
#[derive(Clone, Debug)]
pub(crate) struct StagedCost {
    pub(crate) date: NaiveDate,
    pub(crate) amount: Decimal,
    pub(crate) source: u32,
    pub(crate) product_type: OptKey,
}

/// An interaction. 56 bytes.
#[derive(Clone, Debug)]
pub(crate) struct StagedInteraction {
    pub(crate) at: Ts,
    pub(crate) customer: u32,
    pub(crate) fanpage: OptKey,
    pub(crate) staff: OptKey,
    pub(crate) campaign: OptKey,
    pub(crate) reference: OptKey,
    pub(crate) channel: Channel,
    pub(crate) kind: InteractionKind,
    pub(crate) direction: Direction,
    pub(crate) automated: bool,
}

/// A campaign (small table: names stay strings).
#[derive(Clone, Debug)]
pub(crate) struct StagedCampaign {
    pub(crate) name: String,
    pub(crate) channel: Option<Channel>,
}

/// A staff member.
#[derive(Clone, Debug)]
pub(crate) struct StagedStaff {
    pub(crate) name: String,
}

/// A fanpage.
#[derive(Clone, Debug)]
pub(crate) struct StagedFanpage {
    pub(crate) name: String,
    pub(crate) channel: Option<Channel>,
    pub(crate) activated: bool,
    pub(crate) linked_accounts: u64,
}

/// A customer row, parsed. Optional texts are `None` when absent.
pub(crate) struct CustomerFields<'a> {
    pub(crate) id: &'a str,
    pub(crate) created_at: Ts,
    pub(crate) source: Source,
    pub(crate) gender: Option<Gender>,
    pub(crate) birth_date: Option<NaiveDate>,
    /// name, phone, email, zalo_id, facebook_id, notes.
    pub(crate) text: [Option<&'a str>; 6],
}

/// An order row, parsed.
pub(crate) struct OrderFields<'a> {
    pub(crate) id: &'a str,
    pub(crate) customer_id: &'a str,
    pub(crate) created_at: Ts,
    pub(crate) status: OrderStatus,
    pub(crate) total: Decimal,
    pub(crate) cost_of_goods: Option<Decimal>,
    pub(crate) fanpage_id: Option<&'a str>,
    pub(crate) staff_id: Option<&'a str>,
    pub(crate) has_voucher: bool,
}

/// An order line, parsed.
pub(crate) struct LineFields<'a> {
    pub(crate) order_id: &'a str,
    pub(crate) product_id: &'a str,
    pub(crate) quantity: i64,
    pub(crate) unit_price: Decimal,
}

/// A deal, parsed.
pub(crate) struct DealFields<'a> {
    pub(crate) id: &'a str,
    pub(crate) customer_id: Option<&'a str>,
    pub(crate) created_at: Ts,
    pub(crate) source: &'a str,
    pub(crate) product_type: Option<&'a str>,
    pub(crate) handed_over_at: Option<Ts>,
    pub(crate) opportunity_at: Option<Ts>,
    pub(crate) won_at: Option<Ts>,
    pub(crate) revenue: Option<Decimal>,
}

/// A cost, parsed.
pub(crate) struct CostFields<'a> {
    pub(crate) date: NaiveDate,
    pub(crate) source: &'a str,
    pub(crate) product_type: Option<&'a str>,
    pub(crate) amount: Decimal,
}

/// An interaction, parsed.
pub(crate) struct InteractionFields<'a> {
    pub(crate) id: &'a str,
    pub(crate) customer_id: &'a str,
    pub(crate) at: Ts,
    pub(crate) channel: Channel,
    pub(crate) kind: InteractionKind,
    pub(crate) direction: Direction,
    pub(crate) fanpage_id: Option<&'a str>,
    pub(crate) staff_id: Option<&'a str>,
    pub(crate) automated: bool,
    pub(crate) campaign_id: Option<&'a str>,
    pub(crate) ref_id: Option<&'a str>,
}

impl TableStage<StagedCustomer> {
    pub(crate) fn push(&mut self, line: u64, f: CustomerFields<'_>) {
        // Store the text first: a row that cannot be stored must not claim its id.
        let arena = &mut self.arena;
        let mut text = [Span::default(); 7];
        let mut fits = true;
        for (slot, value) in text
            .iter_mut()
            .zip(std::iter::once(Some(f.id)).chain(f.text))
        {
            if let Some(value) = value {
                match arena.push(value) {
                    Some(span) => *slot = span,
                    None => fits = false,
                }
            }
        }
        if !fits {
            return self.too_large(Table::Customers, line, Some(f.id));
        }
        if !self.claim(Table::Customers, line, f.id) {
            return;
        }
        self.rows.push(StagedCustomer {
            created_at: f.created_at,
            birth_date: f.birth_date,
            source: f.source,
            gender: f.gender,
            text,
        });
    }
}

impl TableStage<StagedOrder> {
    pub(crate) fn push(&mut self, line: u64, f: OrderFields<'_>) {
        let keys = &mut self.keys;
        let (Some(customer), Some(fanpage), Some(staff)) = (
            key(&mut keys.customer, f.customer_id),
            opt_key(&mut keys.fanpage, f.fanpage_id),
            opt_key(&mut keys.staff, f.staff_id),
        ) else {
            return self.too_large(Table::Orders, line, Some(f.id));
        };
        if !self.claim(Table::Orders, line, f.id) {
            return;
        }
        self.lines.push(line32(line));
        self.rows.push(StagedOrder {
            created_at: f.created_at,
            total: f.total,
            cost_of_goods: f.cost_of_goods,
            customer,
            fanpage,
            staff,
            status: f.status,
            has_voucher: f.has_voucher,
        });
    }
}

impl TableStage<StagedLine> {
    pub(crate) fn push(&mut self, line: u64, f: LineFields<'_>) {
        let keys = &mut self.keys;
        let (Some(order), Some(product)) = (
            key(&mut keys.order, f.order_id),
            key(&mut keys.product, f.product_id),
        ) else {
            return self.too_large(Table::OrderLines, line, None);
        };
        self.read += 1;
        self.lines.push(line32(line));
        self.rows.push(StagedLine {
            quantity: f.quantity,
            unit_price: f.unit_price,
            order,
            product,
        });
    }
}

impl TableStage<StagedDeal> {
    pub(crate) fn push(&mut self, line: u64, f: DealFields<'_>) {
        let keys = &mut self.keys;
        let (Some(customer), Some(source), Some(product_type)) = (
            opt_key(&mut keys.customer, f.customer_id),
            key(&mut keys.source, f.source),
            opt_key(&mut keys.product_type, f.product_type),
        ) else {
            return self.too_large(Table::Deals, line, Some(f.id));
        };
        if !self.claim(Table::Deals, line, f.id) {
            return;
        }
        self.lines.push(line32(line));
        self.rows.push(StagedDeal {
            created_at: f.created_at,
            handed_over_at: f.handed_over_at,
            opportunity_at: f.opportunity_at,
            won_at: f.won_at,
            revenue: f.revenue,
            customer,
            source,
            product_type,
        });
    }
}

impl TableStage<StagedCost> {
    pub(crate) fn push(&mut self, line: u64, f: CostFields<'_>) {
        let keys = &mut self.keys;
        let (Some(source), Some(product_type)) = (
            key(&mut keys.source, f.source),
            opt_key(&mut keys.product_type, f.product_type),
        ) else {
            return self.too_large(Table::Costs, line, None);
        };
        self.read += 1;
        self.lines.push(line32(line));
        self.rows.push(StagedCost {
            date: f.date,
            amount: f.amount,
            source,
            product_type,
        });
    }
}

impl TableStage<StagedInteraction> {
    pub(crate) fn push(&mut self, line: u64, f: InteractionFields<'_>) {
        let keys = &mut self.keys;
        let (Some(customer), Some(fanpage), Some(staff), Some(campaign), Some(reference)) = (
            key(&mut keys.customer, f.customer_id),
            opt_key(&mut keys.fanpage, f.fanpage_id),
            opt_key(&mut keys.staff, f.staff_id),
            opt_key(&mut keys.campaign, f.campaign_id),
            opt_key(&mut keys.reference, f.ref_id),
        ) else {
            return self.too_large(Table::Interactions, line, Some(f.id));
        };
        if !self.claim(Table::Interactions, line, f.id) {
            return;
        }
        self.lines.push(line32(line));
        self.rows.push(StagedInteraction {
            at: f.at,
            customer,
            fanpage,
            staff,
            campaign,
            reference,
            channel: f.channel,
            kind: f.kind,
            direction: f.direction,
            automated: f.automated,
        });
    }
}

impl TableStage<StagedCampaign> {
    pub(crate) fn push(&mut self, line: u64, id: &str, name: &str, channel: Option<Channel>) {
        if self.claim(Table::Campaigns, line, id) {
            self.rows.push(StagedCampaign {
                name: name.to_owned(),
                channel,
            });
        }
    }
}

impl TableStage<StagedStaff> {
    pub(crate) fn push(&mut self, line: u64, id: &str, name: &str) {
        if self.claim(Table::Staff, line, id) {
            self.rows.push(StagedStaff {
                name: name.to_owned(),
            });
        }
    }
}

impl TableStage<StagedFanpage> {
    pub(crate) fn push(
        &mut self,
        line: u64,
        (id, name): (&str, &str),
        channel: Option<Channel>,
        activated: bool,
        linked_accounts: u64,
    ) {
        if self.claim(Table::Fanpages, line, id) {
            self.rows.push(StagedFanpage {
                name: name.to_owned(),
                channel,
                activated,
                linked_accounts,
            });
        }
    }
}

/// All nine tables' staged rows.
#[derive(Clone, Debug, Default)]
pub(crate) struct Stage {
    pub(crate) customers: TableStage<StagedCustomer>,
    pub(crate) orders: TableStage<StagedOrder>,
    pub(crate) order_lines: TableStage<StagedLine>,
    pub(crate) deals: TableStage<StagedDeal>,
    pub(crate) costs: TableStage<StagedCost>,
    pub(crate) interactions: TableStage<StagedInteraction>,
    pub(crate) campaigns: TableStage<StagedCampaign>,
    pub(crate) staff: TableStage<StagedStaff>,
    pub(crate) fanpages: TableStage<StagedFanpage>,
}

/// A required string: an empty one is missing (docs/input-format.md: empty = absent).
fn required<'a>(column: &'static str, s: &'a str) -> Result<&'a str, FieldError> {
    if s.is_empty() {
        Err(FieldError::missing(column))
    } else {
        Ok(s)
    }
}

/// Optional strings: `Some("")` is absent, as an empty CSV field is.
fn optional(s: &Option<String>) -> Option<&str> {
    s.as_deref().filter(|s| !s.is_empty())
}

/// Stages a model struct: `fields` checks required texts (a parse error otherwise).
fn stage_struct<R, F>(
    stage: &mut TableStage<R>,
    table: Table,
    id: Option<&str>,
    fields: Result<F, FieldError>,
    push: impl FnOnce(&mut TableStage<R>, u64, F),
) {
    let line = stage.next_line();
    let (row, rejected) = (stage.rows.len(), stage.rejections.len());
    match fields {
        Ok(f) => push(stage, line, f),
        Err(e) => stage.reject(table, line, id, e),
    }
    // The row's origin, for rejections now (staging) and later (validation).
    for rejection in stage.rejections.iter_mut().skip(rejected) {
        rejection.origin = Origin::PushedRow;
    }
    if stage.rows.len() > row {
        match stage.pushed.last_mut() {
            Some((_, end)) if *end == row => *end = row + 1,
            _ => stage.pushed.push((row, row + 1)),
        }
    }
}

impl Stage {
    pub(crate) fn push_customer(&mut self, c: &Customer) {
        let fields = required("id", &c.id).map(|id| CustomerFields {
            id,
            created_at: Ts::from_datetime(c.created_at),
            source: c.source,
            gender: c.gender,
            birth_date: c.birth_date,
            text: c.optional_texts().map(optional),
        });
        stage_struct(
            &mut self.customers,
            Table::Customers,
            Some(&c.id),
            fields,
            TableStage::<StagedCustomer>::push,
        );
    }

    pub(crate) fn push_order(&mut self, o: &Order) {
        let fields = (|| {
            Ok(OrderFields {
                id: required("id", &o.id)?,
                customer_id: required("customer_id", &o.customer_id)?,
                created_at: Ts::from_datetime(o.created_at),
                status: o.status,
                total: o.total,
                cost_of_goods: o.cost_of_goods,
                fanpage_id: optional(&o.fanpage_id),
                staff_id: optional(&o.staff_id),
                has_voucher: optional(&o.voucher_code).is_some(),
            })
        })();
        stage_struct(
            &mut self.orders,
            Table::Orders,
            Some(&o.id),
            fields,
            TableStage::<StagedOrder>::push,
        );
    }

    pub(crate) fn push_order_line(&mut self, l: &OrderLine) {
        let fields = (|| {
            Ok(LineFields {
                order_id: required("order_id", &l.order_id)?,
                product_id: required("product_id", &l.product_id)?,
                quantity: l.quantity,
                unit_price: l.unit_price,
            })
        })();
        stage_struct(
            &mut self.order_lines,
            Table::OrderLines,
            None,
            fields,
            TableStage::<StagedLine>::push,
        );
    }

    pub(crate) fn push_deal(&mut self, d: &Deal) {
        let fields = (|| {
            Ok(DealFields {
                id: required("id", &d.id)?,
                customer_id: optional(&d.customer_id),
                created_at: Ts::from_datetime(d.created_at),
                source: required("source", &d.source)?,
                product_type: optional(&d.product_type),
                handed_over_at: d.handed_over_at.map(Ts::from_datetime),
                opportunity_at: d.opportunity_at.map(Ts::from_datetime),
                won_at: d.won_at.map(Ts::from_datetime),
                revenue: d.revenue,
            })
        })();
        stage_struct(
            &mut self.deals,
            Table::Deals,
            Some(&d.id),
            fields,
            TableStage::<StagedDeal>::push,
        );
    }

    pub(crate) fn push_cost(&mut self, c: &Cost) {
        let fields = required("source", &c.source).map(|source| CostFields {
            date: c.date,
            source,
            product_type: optional(&c.product_type),
            amount: c.amount,
        });
        stage_struct(
            &mut self.costs,
            Table::Costs,
            None,
            fields,
            TableStage::<StagedCost>::push,
        );
    }

    pub(crate) fn push_interaction(&mut self, i: &Interaction) {
        let fields = (|| {
            Ok(InteractionFields {
                id: required("id", &i.id)?,
                customer_id: required("customer_id", &i.customer_id)?,
                at: Ts::from_datetime(i.at),
                channel: i.channel,
                kind: i.kind,
                direction: i.direction,
                fanpage_id: optional(&i.fanpage_id),
                staff_id: optional(&i.staff_id),
                automated: i.automated,
                campaign_id: optional(&i.campaign_id),
                ref_id: optional(&i.ref_id),
            })
        })();
        stage_struct(
            &mut self.interactions,
            Table::Interactions,
            Some(&i.id),
            fields,
            TableStage::<StagedInteraction>::push,
        );
    }

    pub(crate) fn push_campaign(&mut self, c: &Campaign) {
        let fields = (|| Ok((required("id", &c.id)?, required("name", &c.name)?)))();
        stage_struct(
            &mut self.campaigns,
            Table::Campaigns,
            Some(&c.id),
            fields,
            |s, line, (id, name)| s.push(line, id, name, c.channel),
        );
    }

    pub(crate) fn push_staff(&mut self, s: &Staff) {
        let fields = (|| Ok((required("id", &s.id)?, required("name", &s.name)?)))();
        stage_struct(
            &mut self.staff,
            Table::Staff,
            Some(&s.id),
            fields,
            |stage, line, (id, name)| stage.push(line, id, name),
        );
    }

    pub(crate) fn push_fanpage(&mut self, f: &Fanpage) {
        let fields = (|| Ok((required("id", &f.id)?, required("name", &f.name)?)))();
        stage_struct(
            &mut self.fanpages,
            Table::Fanpages,
            Some(&f.id),
            fields,
            |stage, line, names| stage.push(line, names, f.channel, f.activated, f.linked_accounts),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeZone, Utc};

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 3, day, 9, 0, 0).unwrap()
    }

    fn order(id: &str, customer: &str) -> Order {
        Order::new(
            id,
            customer,
            at(1),
            OrderStatus::Completed,
            Decimal::from(10),
        )
    }

    #[test]
    fn line_numbers_saturate_at_u32_max() {
        assert_eq!(line32(7), 7);
        assert_eq!(line32(u64::from(u32::MAX) + 5), u32::MAX);
    }

    #[test]
    fn the_kth_staged_row_owns_id_key_k() {
        let mut stage = Stage::default();
        for id in ["c2", "c1", "c3"] {
            stage.push_customer(&Customer::new(id, at(1), Source::Haravan));
        }
        let customers = &stage.customers;
        assert_eq!(customers.rows.len(), 3);
        assert_eq!(customers.read, 3);
        assert!(customers.rejections.is_empty());
        let ids: Vec<&str> = (0..3).map(|k| customers.ids.resolve(k)).collect();
        assert_eq!(ids, ["c2", "c1", "c3"]);
        // The id is also kept as stored text (span 0) for output.
        assert_eq!(customers.arena.get(customers.rows[1].text[0]), "c1");
    }

    #[test]
    fn a_later_row_with_a_claimed_id_is_a_duplicate_and_the_first_row_stays() {
        let mut stage = Stage::default();
        stage.push_order(&order("o1", "c1"));
        stage.push_order(&order("o1", "c2"));
        stage.push_order(&order("o2", "c2"));
        let orders = &stage.orders;
        // 3 read = 2 staged + 1 rejected.
        assert_eq!((orders.read, orders.rows.len()), (3, 2));
        assert_eq!(orders.lines, [1, 3]);
        let [rejection] = orders.rejections.as_slice() else {
            panic!("one rejection expected: {:?}", orders.rejections);
        };
        assert_eq!(rejection.table, Table::Orders);
        assert_eq!(rejection.line, 2);
        assert_eq!(rejection.id.as_deref(), Some("o1"));
        assert_eq!(rejection.column, Some("id"));
        assert_eq!(rejection.reason, Reason::DuplicateId);
        assert_eq!(rejection.detail, "o1 is already claimed by an earlier row");
        assert_eq!(rejection.origin, Origin::PushedRow);
        // The first row keeps its customer.
        assert_eq!(orders.keys.customer.resolve(orders.rows[0].customer), "c1");
        assert_eq!(orders.ids.resolve(1), "o2");
    }

    #[test]
    fn a_parse_error_names_its_column_and_claims_no_id() {
        let mut stage = Stage::default();
        stage.push_order(&order("o1", ""));
        stage.push_order(&order("o1", "c1"));
        let orders = &stage.orders;
        assert_eq!((orders.read, orders.rows.len()), (2, 1));
        let [rejection] = orders.rejections.as_slice() else {
            panic!("one rejection expected: {:?}", orders.rejections);
        };
        assert_eq!(rejection.line, 1);
        assert_eq!(rejection.column, Some("customer_id"));
        assert_eq!(rejection.reason, Reason::ParseError);
        assert_eq!(rejection.detail, "missing required value");
        // The rejected row claimed nothing: the second "o1" owns key 0.
        assert_eq!(orders.ids.resolve(0), "o1");
        assert_eq!(orders.lines, [2]);
    }

    #[test]
    fn a_field_error_shows_at_most_60_characters_of_the_value() {
        let long = "x".repeat(61);
        let error = FieldError::new("total", "not a decimal", long.as_bytes());
        assert_eq!(error.value.chars().count(), 61); // 60 + '…'
        assert!(error.value.ends_with('…'));
        let rejection = FieldError::new("total", "not a decimal", b"12,5").into_rejection(
            Table::Orders,
            7,
            Some("o9"),
        );
        assert_eq!(rejection.column, Some("total"));
        assert_eq!(rejection.reason, Reason::ParseError);
        assert_eq!(rejection.detail, "not a decimal: \"12,5\"");
        assert_eq!(rejection.origin, Origin::CsvLine);
        assert_eq!((rejection.line, rejection.id.as_deref()), (7, Some("o9")));
    }

    #[test]
    fn staged_rows_and_rejections_add_up_to_rows_read_in_every_table() {
        let mut stage = Stage::default();
        stage.push_customer(&Customer::new("c1", at(1), Source::Haravan));
        stage.push_customer(&Customer::new("", at(1), Source::Haravan));
        stage.push_order(&order("o1", "c1"));
        stage.push_order_line(&OrderLine::new("o1", "p1", 2, Decimal::from(5)));
        stage.push_order_line(&OrderLine::new("o1", "", 2, Decimal::from(5)));
        stage.push_interaction(&Interaction::new(
            "i1",
            "c1",
            at(2),
            Channel::Facebook,
            InteractionKind::Message,
            Direction::Inbound,
        ));
        stage.push_interaction(&Interaction::new(
            "i1",
            "c1",
            at(3),
            Channel::Facebook,
            InteractionKind::Message,
            Direction::Inbound,
        ));
        stage.push_staff(&Staff::new("s1", "An"));
        stage.push_staff(&Staff::new("s2", ""));
        // (table, read, staged, rejected)
        let counts = [
            (
                "customers",
                stage.customers.read,
                stage.customers.rows.len(),
                stage.customers.rejections.len(),
            ),
            (
                "orders",
                stage.orders.read,
                stage.orders.rows.len(),
                stage.orders.rejections.len(),
            ),
            (
                "lines",
                stage.order_lines.read,
                stage.order_lines.rows.len(),
                stage.order_lines.rejections.len(),
            ),
            (
                "interactions",
                stage.interactions.read,
                stage.interactions.rows.len(),
                stage.interactions.rejections.len(),
            ),
            (
                "staff",
                stage.staff.read,
                stage.staff.rows.len(),
                stage.staff.rejections.len(),
            ),
        ];
        assert_eq!(
            counts,
            [
                ("customers", 2, 1, 1),
                ("orders", 1, 1, 0),
                ("lines", 2, 1, 1),
                ("interactions", 2, 1, 1),
                ("staff", 2, 1, 1),
            ]
        );
        assert_eq!(stage.order_lines.rejections[0].column, Some("product_id"));
        assert_eq!(stage.staff.rejections[0].column, Some("name"));
        assert_eq!(stage.interactions.rejections[0].reason, Reason::DuplicateId);
        // Interactions keep the line of each staged row for validation.
        assert_eq!(stage.interactions.lines, [1]);
    }

    #[test]
    fn optional_texts_that_are_empty_are_absent() {
        let mut stage = Stage::default();
        let mut customer = Customer::new("c1", at(1), Source::Haravan);
        customer.name = Some("An".into());
        customer.phone = Some(String::new());
        stage.push_customer(&customer);
        let row = &stage.customers.rows[0];
        assert_eq!(stage.customers.arena.opt(row.text[1]), Some("An"));
        assert_eq!(stage.customers.arena.opt(row.text[2]), None);
    }

    #[test]
    fn rows_pushed_as_structs_are_told_apart_from_csv_rows() {
        let mut stage = Stage::default();
        // A CSV row goes straight to the table's `push`, with its file line.
        stage.staff.push(2, "s1", "An");
        stage.push_staff(&Staff::new("s2", "Binh"));
        stage.push_staff(&Staff::new("s3", "Chi"));
        assert_eq!(stage.staff.origin(0), Origin::CsvLine);
        assert_eq!(stage.staff.origin(1), Origin::PushedRow);
        assert_eq!(stage.staff.origin(2), Origin::PushedRow);
        // Consecutive pushed rows share one range.
        assert_eq!(stage.staff.pushed, [(1, 3)]);
        // A duplicate read from CSV is a CSV line.
        stage.staff.push(5, "s1", "An again");
        assert_eq!(stage.staff.rejections[0].origin, Origin::CsvLine);
        assert_eq!(stage.staff.rejections[0].line, 5);
    }

    #[test]
    fn interaction_references_are_interned_per_table() {
        let mut stage = Stage::default();
        let mut interaction = Interaction::new(
            "i1",
            "c1",
            at(2),
            Channel::Facebook,
            InteractionKind::Message,
            Direction::Inbound,
        );
        interaction.fanpage_id = Some("f1".into());
        stage.push_interaction(&interaction);
        let mut second = interaction.clone();
        second.id = "i2".into();
        second.fanpage_id = None;
        stage.push_interaction(&second);
        let interactions = &stage.interactions;
        assert_eq!(interactions.rows[0].customer, interactions.rows[1].customer);
        assert_eq!(interactions.rows[0].fanpage, OptKey::some(0));
        assert_eq!(interactions.rows[1].fanpage, OptKey::NONE);
        assert_eq!(interactions.keys.fanpage.resolve(0), "f1");
    }
}
