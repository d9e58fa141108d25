//! [`DatasetBuilder`]: rows in, a validated and indexed [`Dataset`] out.

use crate::calendar::{BusinessCalendar, Ts};
use crate::dataset::frozen::Dataset;
use crate::dataset::index::{
    CampaignInfo, Contacts, CostRow, CustomerIdx, CustomerRow, CustomerText, DealRow, Entities,
    FanpageInfo, InteractionRow, LineRow, OrderDetail, OrderRow, PurchaseTotals,
};
use crate::dataset::intern::Interner;
use crate::dataset::quality::{DataQuality, TableCounts};
use crate::dataset::stage::{
    Stage, StagedCampaign, StagedCost, StagedCustomer, StagedDeal, StagedFanpage,
    StagedInteraction, StagedLine, StagedOrder, StagedStaff, TableStage,
};
use crate::dataset::storage::{OptKey, Run};
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
    pub(crate) strict: bool,
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

    /// Adds customer rows: the same as [`push_customer`](DatasetBuilder::push_customer)
    /// for each, in order, but faster for many rows (see "Many rows at once" below).
    ///
    /// # Many rows at once
    /// The `push_*s` methods take rows in batches of 16 and first read the start of
    /// each row's id texts, so that the memory reads of a batch overlap instead of
    /// waiting one after another: with millions of rows whose strings are spread over
    /// the heap, staging is bound by those reads.
    pub fn push_customers<'a>(&mut self, rows: impl IntoIterator<Item = &'a Customer>) {
        let rows = rows.into_iter();
        self.stage.customers.reserve(rows.size_hint().0);
        in_batches(
            rows,
            |c| {
                c.optional_texts()
                    .into_iter()
                    .fold(first_byte(&c.id), |x, t| x ^ first_byte_opt(t))
            },
            |c| self.stage.push_customer(c),
        );
    }

    /// Adds order rows ([`push_customers`](DatasetBuilder::push_customers) says why in
    /// batches).
    pub fn push_orders<'a>(&mut self, rows: impl IntoIterator<Item = &'a Order>) {
        let rows = rows.into_iter();
        self.stage.orders.reserve(rows.size_hint().0);
        in_batches(
            rows,
            |o| {
                [&o.fanpage_id, &o.staff_id, &o.voucher_code]
                    .into_iter()
                    .fold(first_byte(&o.id) ^ first_byte(&o.customer_id), |x, t| {
                        x ^ first_byte_opt(t)
                    })
            },
            |o| self.stage.push_order(o),
        );
    }

    /// Adds order lines, in order ([`push_customers`](DatasetBuilder::push_customers)
    /// says why in batches).
    pub fn push_order_lines<'a>(&mut self, rows: impl IntoIterator<Item = &'a OrderLine>) {
        let rows = rows.into_iter();
        self.stage.order_lines.reserve(rows.size_hint().0);
        in_batches(
            rows,
            |l| first_byte(&l.order_id) ^ first_byte(&l.product_id),
            |l| self.stage.push_order_line(l),
        );
    }

    /// Adds interaction rows ([`push_customers`](DatasetBuilder::push_customers) says
    /// why in batches).
    pub fn push_interactions<'a>(&mut self, rows: impl IntoIterator<Item = &'a Interaction>) {
        let rows = rows.into_iter();
        self.stage.interactions.reserve(rows.size_hint().0);
        in_batches(
            rows,
            |i| {
                [&i.fanpage_id, &i.staff_id, &i.campaign_id, &i.ref_id]
                    .into_iter()
                    .fold(first_byte(&i.id) ^ first_byte(&i.customer_id), |x, t| {
                        x ^ first_byte_opt(t)
                    })
            },
            |i| self.stage.push_interaction(i),
        );
    }

    /// Adds deal rows ([`push_customers`](DatasetBuilder::push_customers) says why in
    /// batches).
    pub fn push_deals<'a>(&mut self, rows: impl IntoIterator<Item = &'a Deal>) {
        let rows = rows.into_iter();
        self.stage.deals.reserve(rows.size_hint().0);
        in_batches(
            rows,
            |d| {
                first_byte(&d.id)
                    ^ first_byte(&d.source)
                    ^ first_byte_opt(&d.customer_id)
                    ^ first_byte_opt(&d.product_type)
            },
            |d| self.stage.push_deal(d),
        );
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

/// Runs `push` on each row, in order, in batches of 16 whose rows are first `touch`ed:
/// the touches of a batch are independent reads the processor overlaps, so that `push`
/// then finds the rows' texts in cache.
fn in_batches<'a, T: 'a>(
    rows: impl IntoIterator<Item = &'a T>,
    touch: impl Fn(&T) -> u8,
    mut push: impl FnMut(&T),
) {
    const BATCH: usize = 16;
    let mut rows = rows.into_iter();
    let mut batch: Vec<&T> = Vec::with_capacity(BATCH);
    loop {
        batch.clear();
        batch.extend(rows.by_ref().take(BATCH));
        if batch.is_empty() {
            return;
        }
        let touched = batch.iter().fold(0u8, |x, row| x ^ touch(row));
        std::hint::black_box(touched);
        for row in &batch {
            push(row);
        }
    }
}

/// The first byte of a text (0 when empty).
fn first_byte(text: &str) -> u8 {
    text.as_bytes().first().copied().unwrap_or(0)
}

/// The first byte of an optional text (0 when absent or empty).
fn first_byte_opt(text: &Option<String>) -> u8 {
    text.as_deref().map_or(0, first_byte)
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

/// Counting sort of the staged rows that have a key (not [`validate::REJECTED`]) into
/// runs by `group` of their key (`0..groups`), keeping input order within a run:
/// returns each group's run (the runs follow each other in group order) and the staged
/// row at each position.
///
/// The runs are counted and filled in place: no offsets beside them, no copy of them,
/// nothing freed at the end. A version that kept `u32` offsets (half the bytes in the
/// random-access loops) and turned them into runs afterwards was as fast but left the
/// dashboard's peak at 1M customers 23 MB higher, through the allocator's reaction to
/// the freed offsets (1,194,144 kB against 1,170,876 kB, `setarch -R`).
fn runs(groups: usize, keys: &[u32], group: impl Fn(u32) -> usize) -> (Vec<Run>, Vec<u32>) {
    // Each run's length, then its start; the lengths count up again as rows are placed.
    let mut runs = vec![Run::default(); groups];
    let mut accepted = 0usize;
    for &key in keys {
        if key != validate::REJECTED {
            runs[group(key)].len += 1;
            accepted += 1;
        }
    }
    let mut start = 0u32;
    for run in &mut runs {
        run.start = start;
        start += run.len;
        run.len = 0;
    }
    // Every position is written exactly once below; the zeros only size the vector.
    let mut placed = vec![0u32; accepted];
    for (row, &key) in keys.iter().enumerate() {
        if key != validate::REJECTED {
            let run = &mut runs[group(key)];
            placed[(run.start + run.len) as usize] = row as u32;
            run.len += 1;
        }
    }
    (runs, placed)
}

/// [`runs`] without the rows: takes the group of each row ([`validate::REJECTED`] for
/// none) and leaves there the row's position instead (runs by group, input order
/// within a run); gives the run offsets.
fn run_positions(groups: usize, group_of_row: &mut [u32]) -> Vec<u32> {
    let mut offsets = vec![0u32; groups + 1];
    for &group in group_of_row.iter() {
        if group != validate::REJECTED {
            offsets[group as usize + 1] += 1;
        }
    }
    for i in 0..groups {
        offsets[i + 1] += offsets[i];
    }
    let mut next = offsets.clone();
    for group in group_of_row.iter_mut() {
        if *group != validate::REJECTED {
            let slot = &mut next[*group as usize];
            *group = *slot;
            *slot += 1;
        }
    }
    offsets
}

/// An empty vector with room for `n` items and for no less than 33 MiB: reserved
/// pages that are never written are not resident, and allocators serve a request that
/// large from a mapping of its own, which they unmap when it is freed (glibc maps every
/// request above at most 32 MiB). So a bucket of [`place_released`] gives its memory
/// back as soon as it is dropped, instead of leaving a hole in a heap.
fn own_mapping<T>(n: usize) -> Vec<T> {
    const MAPPED: usize = 33 << 20;
    Vec::with_capacity(n.max(MAPPED / std::mem::size_of::<T>().max(1)))
}

/// Converts the rows of `source` that `dest` gives a position (not
/// [`validate::REJECTED`]; the positions of the `accepted` ones are `0..accepted`) and
/// places them there: as `(0..accepted).map(|p| convert(row at p))` would, but without
/// holding `source` beside the converted rows. `source` is read a slice at a time from
/// its end, each slice released (shrinking a vector from its end frees its tail pages)
/// once its rows are in buckets by block of 1/16 of the positions; then each block is
/// placed (writes within one block, not across the whole table) and its bucket
/// released. The peak holds the larger of the source and the converted rows, plus a
/// slice and a block, not both tables whole.
fn place_released<S, A: Copy, B: Copy>(
    mut source: Vec<S>,
    dest: &[u32],
    accepted: usize,
    mut convert: impl FnMut(usize, &S) -> (A, B),
) -> (Vec<A>, Vec<B>) {
    const BLOCKS: usize = 16;
    let block = accepted.div_ceil(BLOCKS).max(1);
    let mut sizes = vec![0usize; accepted.div_ceil(block)];
    for &d in dest {
        if d != validate::REJECTED {
            sizes[d as usize / block] += 1;
        }
    }
    let mut a_buckets: Vec<Vec<A>> = sizes.iter().map(|&n| own_mapping(n)).collect();
    let mut b_buckets: Vec<Vec<B>> = sizes.iter().map(|&n| own_mapping(n)).collect();
    let mut at_buckets: Vec<Vec<u32>> = sizes.iter().map(|&n| own_mapping(n)).collect();
    let slice = source.len().div_ceil(BLOCKS).max(1 << 16);
    while !source.is_empty() {
        let cut = source.len().saturating_sub(slice);
        for (row, s) in (cut..source.len()).zip(&source[cut..]) {
            let d = dest[row];
            if d == validate::REJECTED {
                continue;
            }
            let k = d as usize / block;
            let (a, b) = convert(row, s);
            a_buckets[k].push(a);
            b_buckets[k].push(b);
            at_buckets[k].push((d as usize - k * block) as u32);
        }
        source.truncate(cut);
        source.shrink_to_fit();
    }
    let mut a_out: Vec<A> = Vec::with_capacity(accepted);
    let mut b_out: Vec<B> = Vec::with_capacity(accepted);
    for ((a, b), at) in a_buckets.into_iter().zip(b_buckets).zip(at_buckets) {
        let (Some(&a_fill), Some(&b_fill)) = (a.first(), b.first()) else {
            continue;
        };
        let start = a_out.len();
        // Every position of the block is written once below; the fill only sizes it.
        a_out.resize(start + a.len(), a_fill);
        b_out.resize(start + b.len(), b_fill);
        let (a_block, b_block) = (&mut a_out[start..], &mut b_out[start..]);
        for ((x, y), &at) in a.iter().zip(&b).zip(&at) {
            a_block[at as usize] = *x;
            b_block[at as usize] = *y;
        }
    }
    (a_out, b_out)
}

/// The fewest items a piece of [`gather`] or [`for_each_mut`] takes when split over
/// rayon's pool (65,536), so that a piece's work outweighs handing it to another
/// thread; tables smaller than two pieces stay on one.
#[cfg(feature = "parallel")]
const MIN_PIECE: usize = 1 << 16;

/// `items.iter().map(|&i| source[i as usize]).collect()`. With the `parallel` feature
/// and more than one thread, the gather is split over rayon's pool: in a two-core build
/// the interactions are gathered while the other thread has finished the customers and
/// the marketing tables and would otherwise wait. The result is the same.
fn gather<T: Copy + Send + Sync>(source: &[T], items: &[u32]) -> Vec<T> {
    #[cfg(feature = "parallel")]
    if rayon::current_num_threads() > 1 {
        use rayon::prelude::*;
        return items
            .par_iter()
            .with_min_len(MIN_PIECE)
            .map(|&i| source[i as usize])
            .collect();
    }
    items.iter().map(|&i| source[i as usize]).collect()
}

/// `items.iter_mut().for_each(f)`, split over rayon's pool as [`gather`] is.
fn for_each_mut<T: Send>(items: &mut [T], f: impl Fn(&mut T) + Send + Sync) {
    #[cfg(feature = "parallel")]
    if rayon::current_num_threads() > 1 {
        use rayon::prelude::*;
        return items.par_iter_mut().with_min_len(MIN_PIECE).for_each(f);
    }
    items.iter_mut().for_each(f)
}

/// Sorts one customer's run of already gathered rows, `rows` and `items` (each row's
/// staged index) side by side, by `compare` on `(row, item)`. Exports usually list a
/// customer's rows in time order already, so a run is first checked (one sequential
/// pass over the gathered rows, not a second random walk through the staged ones) and
/// only sorted when it is not.
fn sort_run<T: Copy>(
    rows: &mut [T],
    items: &mut [u32],
    compare: impl Fn((&T, u32), (&T, u32)) -> std::cmp::Ordering,
) {
    let sorted = rows
        .windows(2)
        .zip(items.windows(2))
        .all(|(r, i)| compare((&r[0], i[0]), (&r[1], i[1])).is_le());
    if sorted {
        return;
    }
    let mut pairs: Vec<(T, u32)> = rows.iter().copied().zip(items.iter().copied()).collect();
    pairs.sort_by(|a, b| compare((&a.0, a.1), (&b.0, b.1)));
    for ((row, item), (r, i)) in rows.iter_mut().zip(items.iter_mut()).zip(pairs) {
        *row = r;
        *item = i;
    }
}

/// `(at, row)` as one integer ordered as the pair (the seconds' sign bit flipped so that
/// they order as unsigned): sorting by it compares integers instead of reading rows,
/// and since rows are unique an unstable sort gives the order of a stable sort by `at`.
fn time_row_key(at: Ts, row: u32) -> u128 {
    let secs = (at.secs as u64) ^ (1 << 63);
    (u128::from(secs) << 64) | (u128::from(at.nanos) << 32) | u128::from(row)
}

/// The row of a [`time_row_key`].
fn key_row(key: u128) -> u32 {
    key as u32
}

/// Runs `a` and `b`, on two threads of rayon's pool with the `parallel` feature (one
/// after the other without it), and gives both results. The build uses it only for
/// stages that share nothing mutable, so the result is the same either way.
#[cfg(feature = "parallel")]
fn join<A, B>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B + Send) -> (A, B)
where
    A: Send,
    B: Send,
{
    rayon::join(a, b)
}

/// Runs `a` then `b` (without the `parallel` feature).
#[cfg(not(feature = "parallel"))]
fn join<A, B>(a: impl FnOnce() -> A, b: impl FnOnce() -> B) -> (A, B) {
    (a(), b())
}

/// One table's references to one reference table (staff, fanpages or campaigns), as
/// keys of that table: ids that have no accepted row are interned there when this is
/// made (so reports can still name them).
struct ReferenceKeys {
    /// The reference table's key of each local key.
    keys: Vec<u32>,
    /// Keys below this have an accepted row.
    known: u32,
}

impl ReferenceKeys {
    fn new<I>(local: &Interner, entities: &mut Entities<I>) -> ReferenceKeys {
        let keys = (0..local.len() as u32)
            .map(|k| {
                entities
                    .keys
                    .intern(local.resolve(k))
                    .map_or(u32::MAX, |(key, _)| key)
            })
            .collect();
        ReferenceKeys {
            keys,
            known: entities.known,
        }
    }

    /// A local reference as a key of the reference table, counting a warning when it
    /// names no accepted row (docs/input-format.md#rejections: once per row and column,
    /// on accepted rows).
    #[inline]
    fn get(&self, local: OptKey, warnings: &mut u64) -> OptKey {
        match local.get() {
            None => OptKey::NONE,
            Some(k) => {
                let key = self.keys[k as usize];
                if key >= self.known {
                    *warnings += 1;
                }
                OptKey::some(key)
            }
        }
    }
}

/// The references of interactions and orders to the three reference tables.
struct References {
    interaction_fanpage: ReferenceKeys,
    interaction_staff: ReferenceKeys,
    interaction_campaign: ReferenceKeys,
    order_fanpage: ReferenceKeys,
    order_staff: ReferenceKeys,
}

/// Warning counts by `Warning as usize`.
type Warnings = [u64; 3];

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

/// Validates and indexes staged rows: the build as a pipeline of named stages.
///
/// 1. [`check_sizes`]: refuse tables too large for `u32` keys.
/// 2. [`validate_tables`]: the rules that need other tables; gives accepted rows.
/// 3. [`release_validation_only`]: drop what only validation needed;
///    [`compact_lines`]: the staged lines become their indexed rows where they are.
/// 4. [`data_quality`]: merge staging's and validation's rejections per table.
/// 5. [`entities`], then [`references`] (every id interned into the reference tables
///    before any table is indexed) and [`customer_order`]; then
///    [`index_interactions`] beside [`customer_rows`] and [`index_deals_and_costs`]
///    (with the deals' stage index); then [`index_orders`], then [`index_lines`]
///    beside [`order_summaries`], all beside [`interaction_summaries`] and the derived
///    social and engagement indexes. Interactions and orders, the two large tables,
///    are never indexed at once, so their staged and indexed rows are never all held
///    together (the peak memory of a build on two threads stays near that of one).
///
/// "Beside" is [`join`]: with the `parallel` feature the two sides run on two threads
/// of rayon's pool (validation in stage 2 too, three groups of tables), without it one
/// after the other. Where one side would leave the other thread waiting, its largest
/// pass is split over the pool too ([`gather`], [`for_each_mut`]). The sides share
/// nothing mutable, every id is interned before they start, and warnings are counted
/// per side and added, so the dataset, its data quality and the order of its
/// rejections are the same either way.
///
/// Indexing is by row indices and keys the stages and `validate` produced, always in
/// range (see `validate`'s module docs). Each stage consumes what it is the last to
/// use, so memory is released as early as in one long function.
fn build(stage: Stage, strict: bool) -> Result<Dataset> {
    check_sizes(&stage)?;
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

    let valid = validate_tables(
        &mut customer_stage,
        &mut order_stage,
        &line_stage,
        &deal_stage,
        &cost_stage,
        &interaction_stage,
    );
    // Kept for `Dataset::apply` (see `row_ids.rs`), before validation-only data goes.
    let deal_ids = std::mem::take(&mut deal_stage.ids);
    let interaction_ids = std::mem::take(&mut interaction_stage.ids);
    release_validation_only(
        &mut order_stage,
        &mut line_stage,
        &mut deal_stage,
        &mut interaction_stage,
    );
    let (line_rows, products) = compact_lines(&mut line_stage);
    let mut quality = data_quality(
        [
            customer_stage.read,
            order_stage.read,
            line_stage.read,
            deal_stage.read,
            cost_stage.read,
            interaction_stage.read,
            campaign_stage.read,
            staff_stage.read,
            fanpage_stage.read,
        ],
        [
            &customer_stage.rejections,
            &order_stage.rejections,
            &line_stage.rejections,
            &deal_stage.rejections,
            &cost_stage.rejections,
            &interaction_stage.rejections,
            &campaign_stage.rejections,
            &staff_stage.rejections,
            &fanpage_stage.rejections,
        ],
        valid.rejected,
    );
    if strict && let Some(first) = quality.rejections.first() {
        return Err(Error::Rejected(Box::new(first.clone())));
    }

    let Validated {
        customer_ids,
        order_ids,
        orders: valid_orders,
        lines: valid_lines,
        deals: valid_deals,
        costs: valid_costs,
        interactions: valid_interactions,
        ..
    } = valid;
    let mut entities = entities(staff_stage, fanpage_stage, campaign_stage);
    let (interaction_ids, interaction_key_of_row) =
        if valid_interactions.iter().all(|&c| c != validate::REJECTED) {
            (interaction_ids, None)
        } else {
            let accepted: Vec<u32> = (0..valid_interactions.len() as u32)
                .filter(|&row| valid_interactions[row as usize] != validate::REJECTED)
                .collect();
            super::row_ids::accepted_ids(interaction_ids, &accepted)
        };
    // The customer of each order id (`u32::MAX` for a rejected order or an id only
    // lines named): also what orders are gathered into runs by.
    let validate::ValidOrders {
        customer_of_row: mut order_owner,
        slot_of_row,
    } = valid_orders;
    order_owner.resize(order_ids.len(), validate::REJECTED);
    let accepted_deals: Vec<u32> = valid_deals.iter().map(|&(r, _)| r).collect();
    let (deal_ids, deal_key_of_row) = super::row_ids::accepted_ids(deal_ids, &accepted_deals);
    drop(accepted_deals);
    let references = references(&interaction_stage, &order_stage, &mut entities);
    let (by_created, customer_by_load) = customer_order(&customer_stage);
    // Interactions, the largest table, beside customers and the marketing tables; then
    // orders and their lines beside what is derived from interactions. So the staged
    // and indexed rows of interactions and those of orders are never held at once.
    let (interaction_part, ((customers, customer_text), marketing)) = join(
        || {
            index_interactions(
                interaction_stage,
                valid_interactions,
                &customer_by_load,
                &references,
            )
        },
        || {
            let customers = customer_rows(customer_stage, &by_created);
            let indexed = index_deals_and_costs(deal_stage, valid_deals, cost_stage, valid_costs);
            let deal_index = super::deal_index::DealIndex::new(&indexed.0);
            (customers, (indexed, deal_index))
        },
    );
    drop(by_created);
    let ((deals, costs, marketing_sources, product_types, deal_rows), deal_index) = marketing;
    let (
        interaction_runs,
        interactions,
        refs,
        interaction_warnings,
        interaction_rows,
        interaction_owner,
    ) = interaction_part;
    let campaign_keys = entities.campaigns.keys.len();
    let (order_part, (interaction_summaries, (inbound, engagement))) = join(
        || {
            let (order_runs, orders, order_details, position_of_slot, warnings) = index_orders(
                order_stage,
                &order_owner,
                slot_of_row,
                &order_ids,
                &customer_by_load,
                &references,
            );
            // The summaries read only the orders: with two threads, they run beside
            // the lines once the other thread is done with the interactions' indexes.
            let (lines, summaries) = join(
                || {
                    index_lines(
                        line_rows,
                        products,
                        valid_lines,
                        position_of_slot,
                        orders.len(),
                    )
                },
                || order_summaries(&order_runs, &orders),
            );
            (
                (order_runs, orders, order_details, warnings),
                lines,
                summaries,
            )
        },
        || {
            join(
                || interaction_summaries(&interaction_runs, &interactions),
                || {
                    join(
                        || {
                            super::social_index::InboundIndex::build(
                                &customers,
                                &interaction_runs,
                                &interactions,
                            )
                        },
                        || {
                            super::engagement::EngagementIndex::build(
                                &customers,
                                &interaction_runs,
                                &interactions,
                                campaign_keys,
                            )
                        },
                    )
                },
            )
        },
    );
    let (
        (order_runs, orders, order_details, order_warnings),
        (line_runs, lines, products),
        (last_order_secs, purchase_totals),
    ) = order_part;
    let (last_interaction_secs, first_social_message) = interaction_summaries;
    for (total, (a, b)) in quality
        .warnings
        .iter_mut()
        .zip(interaction_warnings.iter().zip(&order_warnings))
    {
        *total = a + b;
    }
    let rekey = |rows: Vec<u32>, key_of_row: Option<Vec<u32>>| match key_of_row {
        None => rows,
        Some(keys) => rows.iter().map(|&r| keys[r as usize]).collect(),
    };
    let ids = super::row_ids::RowIds {
        order_owner,
        deals: deal_ids,
        deal_keys: rekey(deal_rows, deal_key_of_row),
        interactions: interaction_ids,
        interaction_keys: rekey(interaction_rows, interaction_key_of_row),
        interaction_owner,
    };
    let ReferenceTables {
        staff,
        fanpages,
        campaigns,
    } = entities;
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
        day_facts: Default::default(),
        ids,
        dead: Default::default(),
    })
}

/// Stage 1. Takes every staged table; gives [`Error::TooManyRows`] for the first (in
/// table order) with 2^32 - 1 rows or more, since dense keys are `u32`.
fn check_sizes(stage: &Stage) -> Result<()> {
    check_size(Table::Customers, &stage.customers)?;
    check_size(Table::Orders, &stage.orders)?;
    check_size(Table::OrderLines, &stage.order_lines)?;
    check_size(Table::Deals, &stage.deals)?;
    check_size(Table::Costs, &stage.costs)?;
    check_size(Table::Interactions, &stage.interactions)?;
    Ok(())
}

/// What [`validate_tables`] gives: the accepted rows of each table validation can
/// reject, its rejections per table, and the id interners it completed.
struct Validated {
    /// Rejections by [`Table::index`], in the order each rule found them.
    rejected: [Vec<Rejection>; 9],
    /// Customer ids: the staged customers' own, then ids other tables named.
    customer_ids: Interner,
    /// Order ids: the staged orders' own, then ids order lines named.
    order_ids: Interner,
    orders: validate::ValidOrders,
    /// The accepted order slot of each staged line, `REJECTED` when rejected.
    lines: Vec<u32>,
    /// (staged deal, customer key if any).
    deals: Vec<(u32, Option<u32>)>,
    /// Staged cost rows accepted.
    costs: Vec<u32>,
    /// The customer key of each staged interaction, `REJECTED` when rejected.
    interactions: Vec<u32>,
}

/// Stage 2. Takes the staged tables (staging already rejected parse errors and
/// duplicates; every staged customer, staff, fanpage and campaign row is accepted) and
/// applies the rules that need another table, orders before their lines; gives
/// [`Validated`]. Moves the customers' and orders' claimed ids out of their stages.
///
/// The tables only read each other's ids, so once the id interners are readied for
/// look-ups three groups run independently (concurrently with `parallel`): orders then
/// their lines; interactions; deals and costs. Each table's rejections go to its own
/// list in file order, so the result does not depend on which group finishes first.
fn validate_tables(
    customer_stage: &mut TableStage<StagedCustomer>,
    order_stage: &mut TableStage<StagedOrder>,
    line_stage: &TableStage<StagedLine>,
    deal_stage: &TableStage<StagedDeal>,
    cost_stage: &TableStage<StagedCost>,
    interaction_stage: &TableStage<StagedInteraction>,
) -> Validated {
    let mut customer_ids = std::mem::take(&mut customer_stage.ids);
    customer_ids.prepare_lookups(&[
        &order_stage.keys.customer,
        &deal_stage.keys.customer,
        &interaction_stage.keys.customer,
    ]);
    // The order ids stay in their stage while orders are validated (a rejection names
    // its row's id), then move out.
    order_stage.ids.prepare_lookups(&[&line_stage.keys.order]);
    let order_stage_ref = &*order_stage;
    let (customers, orders) = (&customer_ids, &order_stage_ref.ids);
    let (((orders, order_rejected), (lines, line_rejected)), (interaction_group, deal_group)) =
        join(
            || {
                let mut order_rejected = Vec::new();
                let valid = validate::orders(order_stage_ref, customers, &mut order_rejected);
                let mut line_rejected = Vec::new();
                let lines = validate::order_lines(line_stage, orders, &valid, &mut line_rejected);
                ((valid, order_rejected), (lines, line_rejected))
            },
            || {
                join(
                    || {
                        let mut rejected = Vec::new();
                        let valid =
                            validate::interactions(interaction_stage, customers, &mut rejected);
                        (valid, rejected)
                    },
                    || {
                        let mut deal_rejected = Vec::new();
                        let deals = validate::deals(deal_stage, customers, &mut deal_rejected);
                        let mut cost_rejected = Vec::new();
                        let costs = validate::costs(cost_stage, &mut cost_rejected);
                        ((deals, deal_rejected), (costs, cost_rejected))
                    },
                )
            },
        );
    let order_ids = std::mem::take(&mut order_stage.ids);
    let (interactions, interaction_rejected) = interaction_group;
    let ((deals, deal_rejected), (costs, cost_rejected)) = deal_group;
    let mut rejected: [Vec<Rejection>; 9] = Default::default();
    rejected[Table::Orders.index()] = order_rejected;
    rejected[Table::OrderLines.index()] = line_rejected;
    rejected[Table::Deals.index()] = deal_rejected;
    rejected[Table::Costs.index()] = cost_rejected;
    rejected[Table::Interactions.index()] = interaction_rejected;
    Validated {
        rejected,
        customer_ids,
        order_ids,
        orders,
        lines,
        deals,
        costs,
        interactions,
    }
}

/// Stage 3. Frees what only validation needed (ids claimed while staging, references
/// resolved by validation, line numbers, which only name rejected rows), before the
/// indexed tables are built: at 1M customers the interaction ids alone are about 100 MB.
fn release_validation_only(
    order_stage: &mut TableStage<StagedOrder>,
    line_stage: &mut TableStage<StagedLine>,
    deal_stage: &mut TableStage<StagedDeal>,
    interaction_stage: &mut TableStage<StagedInteraction>,
) {
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
    order_stage.lines = Vec::new();
    line_stage.lines = Vec::new();
    deal_stage.lines = Vec::new();
    interaction_stage.lines = Vec::new();
}

/// Stage 4. Takes each table's rows read, staging's rejections and validation's (all
/// by [`Table::index`]); gives the data quality without warnings: per table, both
/// kinds of rejection joined in file order (stable, so a line's rejections keep their
/// order), tables in the documented order (docs/metrics.md#data_quality), and
/// `accepted = read - rejected`.
pub(crate) fn data_quality(
    reads: [u64; 9],
    staged: [&Vec<Rejection>; 9],
    mut rejected: [Vec<Rejection>; 9],
) -> DataQuality {
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
    quality
}

/// The three reference tables, indexed: staff, fanpages, campaigns.
struct ReferenceTables {
    staff: Entities<String>,
    fanpages: Entities<FanpageInfo>,
    campaigns: Entities<CampaignInfo>,
}

/// Stage 5a. Takes the staged staff, fanpages and campaigns (all accepted); gives them
/// as [`Entities`] whose `known` first keys are the accepted rows. Ids other tables
/// name without a row are interned after them while indexing those tables.
fn entities(
    staff_stage: TableStage<StagedStaff>,
    fanpage_stage: TableStage<StagedFanpage>,
    campaign_stage: TableStage<StagedCampaign>,
) -> ReferenceTables {
    let staff = Entities {
        known: staff_stage.ids.len() as u32,
        keys: staff_stage.ids,
        info: staff_stage.rows.into_iter().map(|r| r.name).collect(),
    };
    let fanpages = Entities {
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
    let campaigns = Entities {
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
    ReferenceTables {
        staff,
        fanpages,
        campaigns,
    }
}

/// Stage 5b. Takes the interactions' and orders' local reference ids and the reference
/// tables; gives their keys there ([`References`]). Ids without a row are interned into
/// `entities` here, interactions' before orders' (fanpage, staff, campaign), so that
/// their keys are the same however the tables are indexed afterwards.
fn references(
    interaction_stage: &TableStage<StagedInteraction>,
    order_stage: &TableStage<StagedOrder>,
    entities: &mut ReferenceTables,
) -> References {
    let ReferenceTables {
        staff,
        fanpages,
        campaigns,
    } = entities;
    let (interaction_keys, order_keys) = (&interaction_stage.keys, &order_stage.keys);
    References {
        interaction_fanpage: ReferenceKeys::new(&interaction_keys.fanpage, fanpages),
        interaction_staff: ReferenceKeys::new(&interaction_keys.staff, staff),
        interaction_campaign: ReferenceKeys::new(&interaction_keys.campaign, campaigns),
        order_fanpage: ReferenceKeys::new(&order_keys.fanpage, fanpages),
        order_staff: ReferenceKeys::new(&order_keys.staff, staff),
    }
}

/// Stage 5c. Takes the staged customers (key `k` is staged row `k`); gives the staged
/// rows numbered by `(created_at, input order)` (`by_created[idx]` is the staged row
/// of index `idx`) and the index of each staged row (`customer_by_load[k]`).
fn customer_order(customer_stage: &TableStage<StagedCustomer>) -> (Vec<u32>, Vec<CustomerIdx>) {
    let mut keys: Vec<u128> = customer_stage
        .rows
        .iter()
        .enumerate()
        .map(|(k, row)| time_row_key(row.created_at, k as u32))
        .collect();
    keys.sort_unstable();
    let by_created: Vec<u32> = keys.iter().map(|&key| key_row(key)).collect();
    drop(keys);
    let mut customer_by_load = vec![CustomerIdx(0); by_created.len()];
    for (idx, &load) in by_created.iter().enumerate() {
        customer_by_load[load as usize] = CustomerIdx(idx as u32);
    }
    (by_created, customer_by_load)
}

/// Stage 5d. Takes the staged customers and their order ([`customer_order`]); gives the
/// customer rows in that order and the stored texts (the staged rows become their
/// texts where they are).
fn customer_rows(
    customer_stage: TableStage<StagedCustomer>,
    by_created: &[u32],
) -> (Vec<CustomerRow>, CustomerText) {
    let customer_rows = &customer_stage.rows;
    let customers = by_created
        .iter()
        .map(|&load| {
            let row = &customer_rows[load as usize];
            let has = |i: usize| !row.text[i].is_empty();
            CustomerRow {
                created_at: row.created_at,
                birth_date: row.birth_date,
                load,
                source: row.source,
                gender: row.gender,
                contacts: Contacts::new(has(2), has(3), has(4), has(5)),
            }
        })
        .collect();
    let TableStage { rows, arena, .. } = customer_stage;
    let mut rows: Vec<[crate::dataset::storage::Span; 7]> =
        rows.into_iter().map(|r| r.text).collect();
    rows.shrink_to_fit();
    (customers, CustomerText { rows, arena })
}

/// [`customer_order`] then [`customer_rows`].
#[cfg(test)]
fn index_customers(
    customer_stage: TableStage<StagedCustomer>,
) -> (Vec<CustomerRow>, Vec<CustomerIdx>, CustomerText) {
    let (by_created, customer_by_load) = customer_order(&customer_stage);
    let (customers, text) = customer_rows(customer_stage, &by_created);
    (customers, customer_by_load, text)
}

/// Stage 5e. Takes the staged interactions, the accepted ones (with their customer
/// keys) and each customer key's index; gives the run of each customer, the rows, each run
/// sorted by `(at, input order)`, the interner of reference ids, the warnings and the
/// staged row of each indexed interaction (kept for `Dataset::apply`'s ids).
/// Fanpage, staff and campaign ids are resolved through `references`; each that names
/// no accepted row counts a warning.
fn index_interactions(
    mut interaction_stage: TableStage<StagedInteraction>,
    customer_of_row: Vec<u32>,
    customer_by_load: &[CustomerIdx],
    references: &References,
) -> (
    Vec<Run>,
    Vec<InteractionRow>,
    Interner,
    Warnings,
    Vec<u32>,
    Vec<u32>,
) {
    let (interaction_runs, mut interaction_items) =
        runs(customer_by_load.len(), &customer_of_row, |c| {
            customer_by_load[c as usize].index()
        });
    // Each staged row (40 bytes) becomes its indexed row (32) in the same memory, in
    // one sequential pass, and the rest is released before the rows are gathered into
    // runs: the peak holds the smaller rows twice, not the staged ones beside them.
    // Warnings are counted here, on every staged row; `accepted` keeps only the
    // accepted rows' counts.
    let mut warnings = Warnings::default();
    let mut converted: Vec<InteractionRow> = std::mem::take(&mut interaction_stage.rows)
        .into_iter()
        .zip(&customer_of_row)
        .map(|(i, &customer)| {
            let accepted = customer != validate::REJECTED;
            let mut counted = Warnings::default();
            let row = InteractionRow {
                at: i.at,
                fanpage: references
                    .interaction_fanpage
                    .get(i.fanpage, &mut counted[Warning::UnknownFanpage as usize]),
                staff: references
                    .interaction_staff
                    .get(i.staff, &mut counted[Warning::UnknownStaff as usize]),
                campaign: references
                    .interaction_campaign
                    .get(i.campaign, &mut counted[Warning::UnknownCampaign as usize]),
                ref_id: i.reference,
                channel: i.channel,
                kind: i.kind,
                direction: i.direction,
                automated: i.automated,
            };
            if accepted {
                for (total, n) in warnings.iter_mut().zip(counted) {
                    *total += n;
                }
            }
            row
        })
        .collect();
    converted.shrink_to_fit();
    // The customer of each accepted interaction, in input order (for `Dataset::apply`).
    let mut owner: Vec<u32> = customer_of_row
        .into_iter()
        .filter(|&c| c != validate::REJECTED)
        .collect();
    owner.shrink_to_fit();
    let mut interactions = gather(&converted, &interaction_items);
    drop(converted);
    for run in &interaction_runs {
        let run = run.range();
        sort_run(
            &mut interactions[run.clone()],
            &mut interaction_items[run],
            |(a, ra), (b, rb)| (a.at, ra).cmp(&(b.at, rb)),
        );
    }
    (
        interaction_runs,
        interactions,
        interaction_stage.keys.reference,
        warnings,
        interaction_items,
        owner,
    )
}

/// Stage 5f. Takes the staged orders, the accepted ones and the order ids; gives the
/// runs per customer, the rows and their details, each run sorted by `(created_at, id)`,
/// the position of each accepted order slot (for its lines) and the warnings. Fanpage
/// and staff ids are resolved as in [`index_interactions`].
fn index_orders(
    mut order_stage: TableStage<StagedOrder>,
    customer_of_row: &[u32],
    slot_of_row: Vec<u32>,
    order_ids: &Interner,
    customer_by_load: &[CustomerIdx],
    references: &References,
) -> (
    Vec<Run>,
    Vec<OrderRow>,
    Vec<OrderDetail>,
    Vec<u32>,
    Warnings,
) {
    let customer_of_row = &customer_of_row[..order_stage.rows.len()];
    let (order_runs, mut order_items) = runs(customer_by_load.len(), customer_of_row, |c| {
        customer_by_load[c as usize].index()
    });
    let accepted_orders = order_items.len();
    // Each staged row (64 bytes) becomes its order row and its details (32 each), placed
    // in runs by `place_released`: the staged rows are released as they are converted,
    // so the peak does not hold them beside both gathered tables. Warnings are counted
    // on the accepted rows (the only ones converted).
    let mut position_of_row = vec![validate::REJECTED; order_stage.rows.len()];
    for (position, &row) in order_items.iter().enumerate() {
        position_of_row[row as usize] = position as u32;
    }
    let mut warnings = Warnings::default();
    let (mut orders, mut order_details) = place_released(
        std::mem::take(&mut order_stage.rows),
        &position_of_row,
        accepted_orders,
        |row, o| {
            let detail = OrderDetail {
                cost_of_goods: o.cost_of_goods,
                id: row as u32,
                fanpage: references
                    .order_fanpage
                    .get(o.fanpage, &mut warnings[Warning::UnknownFanpage as usize]),
                staff: references
                    .order_staff
                    .get(o.staff, &mut warnings[Warning::UnknownStaff as usize]),
            };
            let order = o.row();
            (order, detail)
        },
    );
    drop(position_of_row);
    // Each run by (created_at, id as text); the details follow their orders.
    let by_time_then_id = |(a, ra): (&OrderRow, u32), (b, rb): (&OrderRow, u32)| {
        a.created_at
            .cmp(&b.created_at)
            .then_with(|| order_ids.resolve(ra).cmp(order_ids.resolve(rb)))
    };
    for run in &order_runs {
        let run = run.range();
        let (rows, items) = (&mut orders[run.clone()], &mut order_items[run.clone()]);
        if !rows
            .windows(2)
            .zip(items.windows(2))
            .all(|(r, i)| by_time_then_id((&r[0], i[0]), (&r[1], i[1])).is_le())
        {
            // Rare (exports list a customer's orders in time order): sort the rows with
            // their details.
            let mut both: Vec<((OrderRow, OrderDetail), u32)> = rows
                .iter()
                .copied()
                .zip(order_details[run.clone()].iter().copied())
                .zip(items.iter().copied())
                .collect();
            both.sort_by(|a, b| by_time_then_id((&a.0.0, a.1), (&b.0.0, b.1)));
            for (position, ((row, detail), item)) in run.zip(both) {
                orders[position] = row;
                order_details[position] = detail;
                order_items[position] = item;
            }
        }
    }
    let mut position_of_slot = vec![0u32; accepted_orders];
    for (position, &row) in order_items.iter().enumerate() {
        position_of_slot[slot_of_row[row as usize] as usize] = position as u32;
    }
    (
        order_runs,
        orders,
        order_details,
        position_of_slot,
        warnings,
    )
}

/// Stage 5g. Takes the lines (as [`compact_lines`] left them, in input order), each
/// line's accepted order slot ([`validate::REJECTED`] when rejected), each slot's order
/// position and the number of orders; gives the runs per order (in input order), the
/// rows and the product interner.
fn index_lines(
    line_rows: Vec<LineRow>,
    products: Interner,
    slot_of_line: Vec<u32>,
    position_of_slot: Vec<u32>,
    orders: usize,
) -> (Vec<u32>, Vec<LineRow>, Interner) {
    // Each accepted line's order position, where its slot was; then, where that was,
    // the line's own position; then the lines placed there (`place_released`).
    let mut position_of_line = slot_of_line;
    for_each_mut(&mut position_of_line, |slot| {
        if *slot != validate::REJECTED {
            *slot = position_of_slot[*slot as usize];
        }
    });
    drop(position_of_slot);
    let line_runs = run_positions(orders, &mut position_of_line);
    let accepted = line_runs.last().map_or(0, |&n| n as usize);
    let (lines, _) = place_released(line_rows, &position_of_line, accepted, |_, &line| {
        (line, ())
    });
    (line_runs, lines, products)
}

/// Stage 3b. Takes the line stage once validated; gives each staged line as its indexed
/// row (the product and quantity), converted where it is (32 bytes a line down to 16,
/// the rest released), and the product interner. Done right after validation, so that
/// the staged lines do not wait at full size while the larger tables are indexed.
fn compact_lines(line_stage: &mut TableStage<StagedLine>) -> (Vec<LineRow>, Interner) {
    let mut rows: Vec<LineRow> = std::mem::take(&mut line_stage.rows)
        .into_iter()
        .map(|l| LineRow {
            product: l.product,
            quantity: l.quantity,
        })
        .collect();
    rows.shrink_to_fit();
    (rows, std::mem::take(&mut line_stage.keys.product))
}

/// What [`customer_summaries`] gives: one entry per customer.
pub(crate) struct CustomerSummaries {
    /// Seconds of the last order, `i64::MIN` without one.
    pub(crate) last_order_secs: Vec<i64>,
    /// Seconds of the last interaction, `i64::MIN` without one.
    pub(crate) last_interaction_secs: Vec<i64>,
    /// Completed orders: count, vouchers, last, spend (`None` on overflow).
    pub(crate) purchase_totals: Vec<PurchaseTotals>,
    /// The first inbound social message or comment.
    pub(crate) first_social_message: Vec<Option<Ts>>,
}

/// Stage 6. Takes the indexed orders and interactions with their runs per customer;
/// gives the per-customer summaries reports read instead of walking the runs.
pub(crate) fn customer_summaries(
    order_runs: &[Run],
    orders: &[OrderRow],
    interaction_runs: &[Run],
    interactions: &[InteractionRow],
) -> CustomerSummaries {
    let (last_order_secs, purchase_totals) = order_summaries(order_runs, orders);
    let (last_interaction_secs, first_social_message) =
        interaction_summaries(interaction_runs, interactions);
    CustomerSummaries {
        last_order_secs,
        last_interaction_secs,
        purchase_totals,
        first_social_message,
    }
}

/// Seconds of each run's last row, `i64::MIN` for an empty run.
fn last_secs<T>(runs: &[Run], rows: &[T], at: impl Fn(&T) -> Ts) -> Vec<i64> {
    runs.iter()
        .map(|run| {
            rows.get(run.range())
                .and_then(<[T]>::last)
                .map_or(i64::MIN, |r| at(r).secs)
        })
        .collect()
}

/// The order half of [`customer_summaries`]: the last order's seconds and the
/// completed orders' totals per customer.
fn order_summaries(order_runs: &[Run], orders: &[OrderRow]) -> (Vec<i64>, Vec<PurchaseTotals>) {
    let last_order_secs = last_secs(order_runs, orders, |o| o.created_at);
    let purchase_totals = order_runs
        .iter()
        .map(|run| {
            let mut totals = PurchaseTotals::default();
            let mut spend = DecimalSum::new();
            for o in orders
                .get(run.range())
                .unwrap_or_default()
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
    (last_order_secs, purchase_totals)
}

/// The interaction half of [`customer_summaries`]: the last interaction's seconds and
/// the first inbound social message or comment per customer.
fn interaction_summaries(
    interaction_runs: &[Run],
    interactions: &[InteractionRow],
) -> (Vec<i64>, Vec<Option<Ts>>) {
    let last_interaction_secs = last_secs(interaction_runs, interactions, |i| i.at);
    let first_social_message = interaction_runs
        .iter()
        .map(|run| {
            interactions
                .get(run.range())
                .unwrap_or_default()
                .iter()
                .find(|i| i.is_inbound() && i.kind.is_message_or_comment() && i.is_social())
                .map(|i| i.at)
        })
        .collect();
    (last_interaction_secs, first_social_message)
}

/// Stage 5d. Takes the staged and accepted deals and costs; gives the deals sorted by
/// `(created_at, input order)`, the costs by `(date, input order)`, and the two
/// dataset-wide interners their sources and product types share.
fn index_deals_and_costs(
    deal_stage: TableStage<StagedDeal>,
    valid_deals: Vec<(u32, Option<u32>)>,
    cost_stage: TableStage<StagedCost>,
    valid_costs: Vec<u32>,
) -> (Vec<DealRow>, Vec<CostRow>, Interner, Interner, Vec<u32>) {
    let mut marketing_sources = Interner::default();
    let mut product_types = Interner::default();
    let deal_sources = merge_into(&deal_stage.keys.source, &mut marketing_sources);
    let deal_types = merge_into(&deal_stage.keys.product_type, &mut product_types);
    let mut deal_items: Vec<u128> = valid_deals
        .iter()
        .map(|&(row, _)| time_row_key(deal_stage.rows[row as usize].created_at, row))
        .collect();
    drop(valid_deals);
    deal_items.sort_unstable();
    let deals: Vec<DealRow> = deal_items
        .iter()
        .map(|&key| {
            let d = &deal_stage.rows[key_row(key) as usize];
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
    // (date, row) as one integer, as `time_row_key` does for instants.
    let mut cost_items: Vec<i64> = valid_costs
        .iter()
        .map(|&row| {
            let days = chrono::Datelike::num_days_from_ce(&cost_stage.rows[row as usize].date);
            (i64::from(days) << 32) | i64::from(row)
        })
        .collect();
    drop(valid_costs);
    cost_items.sort_unstable();
    let costs: Vec<CostRow> = cost_items
        .iter()
        .map(|&key| {
            let c = &cost_stage.rows[key as u32 as usize];
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
    let deal_rows = deal_items.iter().map(|&key| key_row(key)).collect();
    (deals, costs, marketing_sources, product_types, deal_rows)
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

    fn rejection(table: Table, line: u64, reason: crate::error::Reason) -> Rejection {
        Rejection::bounded(
            table,
            line,
            None,
            None,
            reason,
            String::new(),
            crate::error::Origin::CsvLine,
        )
    }

    /// Rows that announce far more of themselves than they hold (a size hint the
    /// pushes reserve for): the reservation is skipped, nothing panics, and the dataset
    /// is the one the same rows give one at a time.
    #[test]
    fn pushes_survive_an_iterator_that_announces_too_many_rows() {
        struct Boastful<I>(I);
        impl<I: Iterator> Iterator for Boastful<I> {
            type Item = I::Item;
            fn next(&mut self) -> Option<I::Item> {
                self.0.next()
            }
            fn size_hint(&self) -> (usize, Option<usize>) {
                (usize::MAX / 2, None)
            }
        }
        let rows = crate::sample::SampleOptions::new(20)
            .seed(3)
            .bad_rate(0.1)
            .rows();
        let mut b = DatasetBuilder::new();
        b.push_customers(Boastful(rows.customers.iter()));
        b.push_orders(Boastful(rows.orders.iter()));
        b.push_order_lines(Boastful(rows.order_lines.iter()));
        b.push_deals(Boastful(rows.deals.iter()));
        b.push_interactions(Boastful(rows.interactions.iter()));
        rows.costs.iter().for_each(|r| b.push_cost(r));
        rows.campaigns.iter().for_each(|r| b.push_campaign(r));
        rows.staff.iter().for_each(|r| b.push_staff(r));
        rows.fanpages.iter().for_each(|r| b.push_fanpage(r));
        let boasted = b.build().unwrap();
        let plain = rows.builder().build().unwrap();
        assert_eq!(boasted.customer_count(), plain.customer_count());
        assert_eq!(boasted.order_count(), plain.order_count());
        assert_eq!(boasted.interaction_count(), plain.interaction_count());
        assert_eq!(boasted.quality(), plain.quality());
    }

    #[test]
    fn stage_data_quality_joins_both_kinds_of_rejection_in_file_order() {
        use crate::error::Reason;
        let staged_orders = vec![rejection(Table::Orders, 5, Reason::DuplicateId)];
        let none = Vec::new();
        let mut staged = [&none; 9];
        staged[Table::Orders.index()] = &staged_orders;
        let mut validated: [Vec<Rejection>; 9] = Default::default();
        validated[Table::Orders.index()] = vec![
            rejection(Table::Orders, 3, Reason::UnknownCustomer),
            rejection(Table::Orders, 7, Reason::NegativeAmount),
        ];
        validated[Table::Deals.index()] = vec![rejection(Table::Deals, 2, Reason::StageSkipped)];
        let mut reads = [0u64; 9];
        reads[Table::Orders.index()] = 10;
        reads[Table::Deals.index()] = 4;
        reads[Table::Customers.index()] = 6;
        let quality = data_quality(reads, staged, validated);
        let order = |t: Table| quality.tables[t.index()];
        // orders: 10 read - 3 rejected = 7 accepted; deals: 4 - 1 = 3.
        assert_eq!(
            (
                order(Table::Orders).read,
                order(Table::Orders).accepted,
                order(Table::Orders).rejected
            ),
            (10, 7, 3)
        );
        assert_eq!(
            (order(Table::Deals).accepted, order(Table::Deals).rejected),
            (3, 1)
        );
        assert_eq!(
            (
                order(Table::Customers).accepted,
                order(Table::Customers).rejected
            ),
            (6, 0)
        );
        // Orders come before deals (table order); within orders, by line.
        let lines: Vec<(Table, u64)> = quality
            .rejections
            .iter()
            .map(|r| (r.table, r.line))
            .collect();
        assert_eq!(
            lines,
            [
                (Table::Orders, 3),
                (Table::Orders, 5),
                (Table::Orders, 7),
                (Table::Deals, 2)
            ]
        );
        assert_eq!(quality.warnings, [0; 3]);
    }

    #[test]
    fn stage_index_customers_numbers_by_created_at_then_input_order() {
        let mut stage = Stage::default();
        stage.push_customer(&customer("c1", at(3, 9)));
        stage.push_customer(&customer("c2", at(1, 9)));
        stage.push_customer(&customer("c3", at(3, 9)));
        let (customers, customer_by_load, text) = index_customers(stage.customers);
        // c2 (day 1) first; c1 and c3 tie on day 3 and keep input order.
        let loads: Vec<u32> = customers.iter().map(|c| c.load).collect();
        assert_eq!(loads, [1, 0, 2]);
        assert_eq!(
            customer_by_load,
            [CustomerIdx(1), CustomerIdx(0), CustomerIdx(2)]
        );
        assert_eq!(text.arena.get(text.rows[1][0]), "c2");
    }

    #[test]
    fn stage_check_sizes_accepts_ordinary_tables() {
        // 2^32 rows cannot be built in a unit test; the bound is checked by `check_size`.
        assert!(check_sizes(&Stage::default()).is_ok());
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

    #[test]
    fn rows_pushed_in_batches_build_the_same_dataset_as_rows_pushed_one_by_one() {
        // 40 rows per table (more than two batches), with bad ones among them.
        let customers: Vec<Customer> = (0..40)
            .map(|n| customer(&format!("KH{n}"), at(1 + n % 20, n % 24)))
            .chain([customer("", at(2, 0))])
            .collect();
        let orders: Vec<Order> = (0..40)
            .map(|n| order(&format!("DH{n}"), &format!("KH{}", n % 45), at(3, n % 24)))
            .collect();
        let lines: Vec<OrderLine> = (0..40)
            .map(|n| line(&format!("DH{}", n % 43), &format!("SP{}", n % 7)))
            .collect();
        let interactions: Vec<Interaction> = (0..40)
            .map(|n| interaction(&format!("T{}", n % 38), &format!("KH{}", n % 41), at(4, 1)))
            .collect();
        let deals: Vec<Deal> = (0..40)
            .map(|n| Deal::new(format!("DL{}", n % 39), at(5, 0), "zalo_ads"))
            .collect();
        let mut one_by_one = DatasetBuilder::new();
        customers.iter().for_each(|r| one_by_one.push_customer(r));
        orders.iter().for_each(|r| one_by_one.push_order(r));
        lines.iter().for_each(|r| one_by_one.push_order_line(r));
        interactions
            .iter()
            .for_each(|r| one_by_one.push_interaction(r));
        deals.iter().for_each(|r| one_by_one.push_deal(r));
        let mut batched = DatasetBuilder::new();
        batched.push_customers(&customers);
        batched.push_orders(&orders);
        batched.push_order_lines(&lines);
        batched.push_interactions(&interactions);
        batched.push_deals(&deals);
        let (a, b) = (one_by_one.build().unwrap(), batched.build().unwrap());
        assert!(!a.quality().rejections().is_empty());
        let bytes = |d: &Dataset| {
            let mut out = Vec::new();
            d.write_snapshot(&mut out).unwrap();
            out
        };
        assert_eq!(bytes(&a), bytes(&b));
    }

    /// The gather and the in-place map split over two threads (more rows than one piece
    /// of the split takes) give what the sequential ones give: every item, in order.
    #[cfg(feature = "parallel")]
    #[test]
    fn gather_and_for_each_mut_on_two_threads_do_what_one_thread_does() {
        let source: Vec<u64> = (0..300_000u64).map(|i| i * 7_919 % 1_000_003).collect();
        let items: Vec<u32> = (0..300_000u32).map(|i| (i * 31 + 7) % 300_000).collect();
        let sequential: Vec<u64> = items.iter().map(|&i| source[i as usize]).collect();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        assert_eq!(pool.install(|| gather(&source, &items)), sequential);
        assert_eq!(gather(&source, &items[..5]), sequential[..5]);
        let mut mapped = items.clone();
        pool.install(|| for_each_mut(&mut mapped, |i| *i = i.wrapping_mul(3) ^ 1));
        let expected: Vec<u32> = items.iter().map(|i| i.wrapping_mul(3) ^ 1).collect();
        assert_eq!(mapped, expected);
    }
}
