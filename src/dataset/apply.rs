//! [`Dataset::apply`]: a batch of changes (new rows, and rows that replace the rows with
//! the same id) applied to a built dataset, in place.
//!
//! # What a batch does
//!
//! A batch is a [`DatasetBuilder`] (rows pushed as structs, or a folder of CSV files read
//! with `read_csv_dir`). Its rows are staged and validated by the same rules as a build
//! (docs/input-format.md#rejections), with references resolved against the dataset plus
//! the batch:
//!
//! * a customer, order, deal, interaction, campaign, staff or fanpage row whose id names
//!   an accepted row of the dataset **replaces** it (an order moving from pending to
//!   completed, or to another customer; a deal reaching a new stage; a customer gaining a
//!   phone or a new `created_at`). The rows that refer to it stay attached: a replaced
//!   order keeps its lines, a replaced customer its orders and interactions;
//! * any other row is **inserted**; order lines and costs have no id and are always
//!   inserted (appended to their order, or among the costs of their date);
//! * a rejected row changes nothing: a rejected replacement leaves the old row in place.
//!   Two rows of one batch with the same id are a `duplicate_id`, as in a build.
//!
//! The result is the dataset a build of the **final data** gives: the dataset's accepted
//! rows in their input order, each replaced row swapped in place for the batch row that
//! replaces it, then the batch's inserted rows in the batch's order. Input order is what
//! breaks ties (customers of the same `created_at`, interactions of the same instant,
//! deals, costs), so a replaced row keeps its place in ties and an inserted row comes
//! after every older row. The report on the result equals, section by section, the report
//! on that final data built at once (tests/integration/apply.rs checks it on random
//! splits of generated data).
//!
//! Data quality accumulates: each table's `read`, `accepted` and `rejected` add the
//! batch's, its rejections follow the table's earlier ones (with the batch's own line
//! numbers; [`ApplySummary::quality`] has the batch alone), and warnings are counted on
//! the batch's accepted rows against the reference tables as they are after the batch.
//! Earlier warnings are not revised (a staff row added later does not take back the
//! `unknown_staff` warnings of older orders).
//!
//! In strict mode (the batch builder's [`strict`](DatasetBuilder::strict)), the first
//! bad row is an error and the dataset is left unchanged; so is it for every other error.
//!
//! # Design: in place; a rebuilt customer's rows go to the end of their table
//!
//! The dataset is a set of flat vectors and indexes derived from them: per customer
//! (in `(created_at, input order)` order) its row, a few summaries and its two runs, the
//! start and length of its orders in the order table (each order with its details and
//! its lines) and of its interactions in the interaction table; deals and costs sorted
//! by time. Rebuilding any of them costs as much as the build; copying them
//! (copy-on-write) costs a pass over every byte. `apply` edits them in place instead:
//!
//! 1. **Validate** the batch without touching the dataset (so that an error leaves it
//!    as it was), resolving references through small interners of the ids the batch
//!    names.
//! 2. **Rebuild only the touched customers**: each customer that gains, loses or
//!    changes an order, an order line or an interaction, and each new or replaced
//!    customer, gets its runs rebuilt (its old rows minus those replaced, plus the
//!    batch's, sorted as a build sorts them) and its per-customer summaries recomputed.
//! 3. **Append the changed runs**: a touched customer whose orders (or interactions)
//!    changed gets its new run written at the end of the order (or interaction) table,
//!    with the orders' details and lines, or the interactions' id keys; its old run stays
//!    where it was, as dead rows that no customer's run covers. No other row moves. A
//!    customer the batch touches only in its own row keeps its runs where they are.
//! 4. **Splice the per-customer columns**: the customers' new order (a new customer or
//!    one whose `created_at` changed moves to its place) is a short list of pieces,
//!    ranges of untouched customers and single rebuilt ones. Every per-customer vector
//!    (rows, runs, summaries) is rewritten from that list with one `memmove` per range
//!    (`splice.rs`), and the customer index of each customer that moved is updated as its
//!    block lands (`splice::splice_visit`: the `memmove` in 32 KiB blocks, each fixed up
//!    while in the cache). With the `parallel` feature, the order side and the
//!    interaction side move on two threads.
//! 5. **Update the derived indexes incrementally**: when no kept deal changes position
//!    (deals replaced where they are, new deals after every kept one), the deal stage
//!    index removes and inserts only the changed deals' entries; otherwise it renumbers
//!    the positions of the deals that moved. The inbound social index and the engagement
//!    time indexes remove the entries of the old rows and insert the new ones, each
//!    found by binary search, with one `memmove` per index from its first change
//!    (`splice::replace_sorted`). Entries of the inbound index name their customer by
//!    its `created_at`, not its index, so inserting customers renumbers none of them.
//! 6. **Compact now and then**: when a table's dead rows pass an eighth of its live ones,
//!    its live runs move down over the dead rows, in place, one `memmove` per run
//!    (`apply/compact.rs`, or [`Dataset::compact`] on demand). So the dead rows never
//!    cost more than an eighth of a table's memory, and a table is compacted once in
//!    many batches: the bench batch below rebuilds the orders of the 100 customers whose
//!    orders it replaces, and at 1M customers an eighth of the 2.9M orders is 367k dead
//!    orders, hundreds of such batches.
//!
//! **Why a start and a length per customer, not shared offsets.** With offsets
//! (`orders[offsets[c]..offsets[c + 1]]`), a customer's rows must sit between its
//! neighbours', so rebuilding one customer near the start of the table moved every row
//! after it: about 600 MB at 1M customers, 37 of the 52 ms a batch took. With a run per
//! customer, what a batch moves is the per-customer columns (a hundred-odd bytes a customer)
//! and the sorted indexes, whatever the number of rows. It costs 4 bytes more per
//! customer and table (8 MB at 1M customers), and the rebuilt customers' rows are read
//! from the end of their table; reports do not notice (below).
//!
//! The cost therefore grows with the changes and with the customers (and index
//! entries) stored after the first change, not with a rebuild or the rows.
//! Measured (benches/apply.rs, criterion medians, shared two-core machine): 1,000 mixed
//! changes at 1M customers take 22 to 24 ms on one core (49.5 ms with shared offsets,
//! measured in a quiet moment), against 5.42 to 5.53 s for the one-core CSV build in
//! the same sessions (0.4 %), and 22.7 to 23.6 ms with `parallel`, against 3.37 to
//! 3.44 s for the two-core build (0.7 %). Compacting what that batch leaves (nearly
//! every live run moving down) takes 63.5 to 75 ms. The first batch after a build or a
//! clone costs more (77.5 to 80 ms on one core, 223 ms with shared offsets; 118 to
//! 120 ms with `parallel`): every vector it grows is at its exact size and moves to
//! fresh memory once, after which each keeps 1/32 of headroom. The report after a batch
//! takes as long as on the same data built at once (168 against 176 ms, and 174 against
//! 178 ms, in two runs).
//!
//! A service that serves reports while applying can keep the dataset in an
//! `Arc<RwLock<Dataset>>` (readers wait only for the splice), or clone it for a
//! copy-on-write of its own (`Arc::make_mut`) when it wants readers never to wait.
//!
//! Two rare cases cost a pass over a table: the first id inserted out of the sorted
//! order of an id interner turns that interner from binary search to hashing (once), and
//! a staff, fanpage or campaign row whose id older rows named without a row renumbers
//! that table's keys in every order and interaction.

use hashbrown::{HashMap, HashSet};

use serde::Serialize;

use crate::calendar::Ts;
use crate::dataset::builder::{
    CustomerSummaries, DatasetBuilder, customer_summaries, data_quality,
};
use crate::dataset::engagement;
use crate::dataset::frozen::Dataset;
use crate::dataset::index::{
    CampaignInfo, Contacts, CostRow, CustomerIdx, CustomerRow, DealRow, Entities, FanpageInfo,
    InteractionRow, LineRow, OrderDetail, OrderRow,
};
use crate::dataset::intern::Interner;
use crate::dataset::quality::DataQuality;
use crate::dataset::social_index::{self, InboundEntry};
use crate::dataset::splice::{self, Piece};
use crate::dataset::stage::{Stage, TableStage};
use crate::dataset::storage::{OptKey, Run, Span};
use crate::dataset::validate;
use crate::error::{Error, Rejection, Result, Table, Warning};

/// What a batch did to one table. `read = inserted + replaced + rejected`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TableChanges {
    /// Rows of the batch read (as `read` in data quality).
    pub read: u64,
    /// Accepted rows with a new id (for order lines and costs: every accepted row).
    pub inserted: u64,
    /// Accepted rows that replaced the row with their id.
    pub replaced: u64,
    /// Rejected rows (each is in [`ApplySummary::quality`]).
    pub rejected: u64,
    /// Of the rejected rows, those whose id names a row of the dataset: that row stays
    /// as it was.
    pub rejected_replacements: u64,
}

/// What [`Dataset::apply`] did: per table, rows inserted, replaced and rejected, and the
/// batch's own data quality (its rejections with the batch's line numbers).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApplySummary {
    tables: [TableChanges; 9],
    quality: DataQuality,
}

impl ApplySummary {
    /// What the batch did to one table.
    pub fn table(&self, table: Table) -> &TableChanges {
        &self.tables[table.index()]
    }

    /// The batch's data quality alone (the dataset's [`quality`](Dataset::quality) adds
    /// it to what came before).
    pub fn quality(&self) -> &DataQuality {
        &self.quality
    }

    /// Whether the batch changed nothing (no row inserted or replaced).
    pub fn is_unchanged(&self) -> bool {
        self.tables
            .iter()
            .all(|t| t.inserted == 0 && t.replaced == 0)
    }
}

/// A customer a batch row names: one of the batch (staged row) or of the dataset (key).
#[derive(Clone, Copy, Debug)]
enum CustomerRef {
    Batch(u32),
    Existing(u32),
}

/// An order a batch line names: an accepted batch order (staged row) or a dataset order
/// (order id key).
#[derive(Clone, Copy, Debug)]
enum OrderRef {
    Batch(u32),
    Existing(u32),
}

/// A validated batch: the staged tables and the accepted rows of each.
struct Batch {
    stage: Stage,
    /// For each staged customer, the key of the dataset customer it replaces.
    customer_existing: Vec<Option<u32>>,
    /// Targets of the keys of the interner the references were resolved through.
    customer_refs: Vec<CustomerRef>,
    orders: Vec<(u32, u32)>,
    lines: Vec<(u32, OrderRef)>,
    deals: Vec<u32>,
    costs: Vec<u32>,
    interactions: Vec<(u32, u32)>,
    quality: DataQuality,
    rejected_replacements: [u64; 9],
}

/// A customer whose runs the batch rebuilds.
struct Touched {
    /// Its row as the batch leaves it (`load` is its key).
    row: CustomerRow,
    /// Its index before the batch; `None` for a new customer.
    old_idx: Option<usize>,
    /// Orders the batch gives it (new, or replacing one).
    orders: Vec<(OrderRow, OrderDetail)>,
    /// Interactions the batch gives it, with their id keys.
    interactions: Vec<(InteractionRow, u32)>,
}

/// A touched customer's new runs, assembled.
#[derive(Default)]
struct Runs {
    orders: Vec<(OrderRow, OrderDetail, Vec<LineRow>)>,
    interactions: Vec<(InteractionRow, u32)>,
    /// Whether its orders or their lines differ from its old run (or it is new): the
    /// run is then written anew at the end of the table.
    orders_changed: bool,
    interactions_changed: bool,
    /// Lines of its old orders (which become dead with them when `orders_changed`).
    old_lines: u64,
}

/// Rows gathered for the touched customers, in their new order: all their rows and
/// runs for their summaries (`fresh`), or the rows of their changed runs to append
/// (`appended`, whose runs are not used).
#[derive(Default)]
struct FreshRows {
    customers: Vec<CustomerRow>,
    orders: Vec<OrderRow>,
    details: Vec<OrderDetail>,
    line_counts: Vec<u32>,
    lines: Vec<LineRow>,
    interactions: Vec<InteractionRow>,
    keys: Vec<u32>,
    order_runs: Vec<Run>,
    interaction_runs: Vec<Run>,
}

/// Whether a run table of `len` rows, `dead` of them dead, is compacted: when the dead
/// rows pass an eighth of the live ones. A batch's dead rows are those of the customers
/// it rebuilds, so compaction (a pass over the table) comes once in many batches, and a
/// table never holds more than about 1/8 of dead rows between batches.
fn too_dead(len: usize, dead: u64) -> bool {
    let live = (len as u64).saturating_sub(dead);
    dead > live / 8
}

/// Appends `rows` to `v`, growing it by at least 1/32 when it must move (as
/// `splice::grow_for`): a later batch then appends in place.
fn append<T: Copy>(v: &mut Vec<T>, rows: &[T]) {
    if v.capacity() - v.len() < rows.len() {
        v.reserve_exact(rows.len().max(v.len() / 32));
    }
    v.extend_from_slice(rows);
}

/// One stretch of a rewritten table: old rows, or one fresh item by id.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    Old(std::ops::Range<usize>),
    Fresh(usize),
}

/// The new layout of a table of `len` old rows: `removed` old positions (ascending)
/// leave, fresh item `id` goes before old position `at` for each `(at, id)` of
/// `inserted` (ascending by `at`; equal positions keep their order), and `in_place`
/// `(position, id)` replace the old row where it is.
fn plan(
    len: usize,
    removed: &[usize],
    inserted: &[(usize, usize)],
    in_place: &[(usize, usize)],
) -> Vec<Seg> {
    // (position, kind, id): insertions before the row at their position.
    let mut events: Vec<(usize, u8, usize)> =
        Vec::with_capacity(removed.len() + inserted.len() + in_place.len());
    events.extend(inserted.iter().map(|&(at, id)| (at.min(len), 0, id)));
    events.extend(removed.iter().map(|&at| (at, 1, usize::MAX)));
    events.extend(in_place.iter().map(|&(at, id)| (at, 2, id)));
    events.sort_by_key(|&(at, kind, _)| (at, kind));
    let mut segs = Vec::with_capacity(2 * events.len() + 1);
    let mut cursor = 0;
    for (at, kind, id) in events {
        if at > cursor {
            segs.push(Seg::Old(cursor..at));
            cursor = at;
        }
        match kind {
            0 => segs.push(Seg::Fresh(id)),
            1 => cursor = cursor.max(at + 1),
            _ => {
                segs.push(Seg::Fresh(id));
                cursor = cursor.max(at + 1);
            }
        }
    }
    if cursor < len {
        segs.push(Seg::Old(cursor..len));
    }
    segs
}

/// Runs `a` and `b`: on two threads of rayon's pool with the `parallel` feature, one
/// after the other without it. `apply` uses it only for work on disjoint vectors, so
/// the result is the same either way.
#[cfg(feature = "parallel")]
fn join(a: impl FnOnce() + Send, b: impl FnOnce() + Send) {
    rayon::join(a, b);
}

/// Runs `a` then `b` (without the `parallel` feature).
#[cfg(not(feature = "parallel"))]
fn join(a: impl FnOnce(), b: impl FnOnce()) {
    a();
    b();
}

/// Appends `piece` to `pieces`, joining it to the previous fresh piece when contiguous.
fn push_piece(pieces: &mut Vec<Piece>, piece: Piece) {
    if piece.len() == 0 {
        return;
    }
    if let (Some(Piece::Fresh(last)), Piece::Fresh(next)) = (pieces.last_mut(), &piece)
        && last.end == next.start
    {
        last.end = next.end;
        return;
    }
    pieces.push(piece);
}

/// Interns each key of a batch table's local interner into `global`.
fn merge_keys(local: &Interner, global: &mut Interner) -> Vec<u32> {
    (0..local.len() as u32)
        .map(|k| {
            global
                .intern(local.resolve(k))
                .map_or(u32::MAX, |(key, _)| key)
        })
        .collect()
}

/// A batch row's reference as a dataset key, counting a warning when it names no
/// accepted row (as the build does).
fn reference(local: OptKey, global: &[u32], known: u32, warnings: &mut u64) -> OptKey {
    match local.get().and_then(|k| global.get(k as usize)) {
        None => OptKey::NONE,
        Some(&key) => {
            if key >= known {
                *warnings += 1;
            }
            OptKey::some(key)
        }
    }
}

/// Adds or replaces reference rows (`(id, info)` in batch order). Gives (inserted,
/// replaced) and, when keys had to be renumbered so that accepted rows keep the first
/// keys, the new key of each old key.
fn add_entities<I>(
    entities: &mut Entities<I>,
    rows: Vec<(&str, I)>,
) -> ((u64, u64), Option<Vec<u32>>) {
    let mut replaced = 0;
    let mut fresh: Vec<(&str, I)> = Vec::new();
    for (id, info) in rows {
        match entities.keys.get(id) {
            Some(key) if key < entities.known => {
                if let Some(slot) = entities.info.get_mut(key as usize) {
                    *slot = info;
                }
                replaced += 1;
            }
            _ => fresh.push((id, info)),
        }
    }
    let inserted = fresh.len() as u64;
    if fresh.is_empty() {
        return ((0, replaced), None);
    }
    if entities.keys.len() == entities.known as usize {
        for (id, info) in fresh {
            if entities.keys.intern(id).is_some() {
                entities.info.push(info);
                entities.known += 1;
            }
        }
        return ((inserted, replaced), None);
    }
    // Ids only referenced so far hold keys `known..`: renumber, accepted rows first.
    let old = std::mem::take(&mut entities.keys);
    let mut keys = Interner::with_capacity(old.len() + fresh.len());
    for k in 0..entities.known {
        keys.intern(old.resolve(k));
    }
    for (id, info) in fresh {
        keys.intern(id);
        entities.info.push(info);
    }
    entities.known = entities.info.len() as u32;
    let mut old_to_new = Vec::with_capacity(old.len());
    for k in 0..old.len() as u32 {
        old_to_new.push(keys.intern(old.resolve(k)).map_or(u32::MAX, |(key, _)| key));
    }
    entities.keys = keys;
    ((inserted, replaced), Some(old_to_new))
}

fn renumber(key: &mut OptKey, old_to_new: &[u32]) {
    if let Some(&new) = key.get().and_then(|k| old_to_new.get(k as usize)) {
        *key = OptKey::some(new);
    }
}

impl Dataset {
    /// Applies a batch of changes in place: rows with new ids are inserted, rows whose
    /// id names an accepted row replace it, order lines and costs are appended; the
    /// batch is validated like a build (docs/input-format.md#rejections), with
    /// references resolved against the dataset plus the batch. The module documentation
    /// of `dataset/apply.rs` (summarized in the README) gives the exact semantics.
    ///
    /// Cost: proportional to the batch, plus one `memmove` of the rows stored after the
    /// first change (about 10 ms for 1,000 changes at 100k customers, against 625 ms to
    /// build from structs; 58 ms at 1M, against about 6 s to build from CSV). Memory:
    /// the rows added, 1/32 headroom on each vector that grew, and a replaced customer's
    /// old text stays in the text arena.
    ///
    /// # Errors
    /// The dataset is unchanged on error.
    /// * [`Error::Rejected`] when the batch builder is strict and a row is bad.
    /// * [`Error::TooManyRows`] when a table would reach 2^32 - 1 rows.
    ///
    /// # Example
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use crm_metrics::model::{Customer, Order, OrderStatus, Source};
    /// use crm_metrics::{DatasetBuilder, Table};
    /// use rust_decimal::Decimal;
    ///
    /// let at = Utc.with_ymd_and_hms(2026, 11, 2, 3, 0, 0).unwrap();
    /// let total = Decimal::from(250_000);
    /// let mut builder = DatasetBuilder::new();
    /// builder.push_customer(&Customer::new("KH1", at, Source::Pos));
    /// builder.push_order(&Order::new("DH1", "KH1", at, OrderStatus::Pending, total));
    /// let mut dataset = builder.build()?;
    ///
    /// // The order is completed, the customer gives a phone, a new customer orders.
    /// let mut changes = DatasetBuilder::new();
    /// changes.push_order(&Order::new("DH1", "KH1", at, OrderStatus::Completed, total));
    /// changes.push_customer(&Customer::new("KH1", at, Source::Pos).phone("0901234567"));
    /// changes.push_customer(&Customer::new("KH2", at, Source::Shopee));
    /// changes.push_order(&Order::new("DH2", "KH2", at, OrderStatus::Completed, total));
    /// changes.push_order(&Order::new("DH3", "KH9", at, OrderStatus::Completed, total));
    /// let summary = dataset.apply(changes)?;
    ///
    /// let orders = summary.table(Table::Orders);
    /// assert_eq!((orders.inserted, orders.replaced, orders.rejected), (1, 1, 1));
    /// assert_eq!((dataset.customer_count(), dataset.order_count()), (2, 2));
    /// let kh1 = dataset.customer_idx("KH1").unwrap();
    /// assert_eq!(dataset.customer(kh1).unwrap().phone.as_deref(), Some("0901234567"));
    /// // Data quality adds up over the build and the batch: 1 + 3 orders read.
    /// let quality = dataset.quality().table(Table::Orders);
    /// assert_eq!((quality.read, quality.accepted, quality.rejected), (4, 3, 1));
    /// # Ok::<(), crm_metrics::Error>(())
    /// ```
    pub fn apply(&mut self, changes: DatasetBuilder) -> Result<ApplySummary> {
        let strict = changes.strict;

        let batch = self.validate_batch(changes.stage)?;

        if strict && let Some(first) = batch.quality.rejections.first() {
            return Err(Error::Rejected(Box::new(first.clone())));
        }
        let mut tables = [TableChanges::default(); 9];
        for table in Table::ALL {
            let t = table.index();
            let counts = batch.quality.tables[t];
            tables[t].read = counts.read;
            tables[t].rejected = counts.rejected;
            tables[t].rejected_replacements = batch.rejected_replacements[t];
        }
        let quality = batch.quality.clone();
        self.write(batch, &mut tables);

        self.invalidate_caches();

        Ok(ApplySummary { tables, quality })
    }

    /// Squeezes out, in place, the rows that batches of changes left behind: when
    /// [`apply`](Dataset::apply) rebuilds a customer's orders or interactions, it
    /// writes them anew at the end of their table, and the old ones stay where they
    /// were, covered by no customer, until the table is compacted. `apply` compacts a
    /// table by itself once its dead rows pass an eighth of its live ones; `compact`
    /// does it now for every table, for example before [`save`](Dataset::save) (the
    /// snapshot then holds no dead rows) or before a clone. A dataset built at once
    /// has none, and then this does nothing.
    ///
    /// Reports, counts and snapshots are the same before and after. Cost: one
    /// `memmove` of each live customer's run that lies after the first dead row, no
    /// second copy of any table (benches/apply.rs, `apply/compact`).
    ///
    /// # Example
    /// ```
    /// use crm_metrics::{DatasetBuilder, sample::SampleOptions};
    ///
    /// let rows = SampleOptions::new(50).seed(4).rows();
    /// let mut dataset = rows.builder().build()?;
    /// // Replacing an order rebuilds its customer's orders at the end of the table.
    /// let mut changes = DatasetBuilder::new();
    /// changes.push_order(&rows.orders[0]);
    /// dataset.apply(changes)?;
    /// let (mut before, mut after) = (Vec::new(), Vec::new());
    /// dataset.write_snapshot(&mut before)?;
    /// let orders = dataset.order_count();
    /// dataset.compact();
    /// dataset.write_snapshot(&mut after)?;
    /// assert_eq!(dataset.order_count(), orders);
    /// // The old run of that customer's orders (and their lines) is gone.
    /// assert!(after.len() < before.len());
    /// # Ok::<(), crm_metrics::Error>(())
    /// ```
    pub fn compact(&mut self) {
        if self.dead.orders > 0 || self.dead.lines > 0 {
            self.compact_orders();
        }
        if self.dead.interactions > 0 {
            self.compact_interactions();
        }
    }

    /// Squeezes the dead rows out of the orders, their details and their lines.
    fn compact_orders(&mut self) {
        compact::orders(
            &mut self.order_runs,
            &mut self.orders,
            &mut self.order_details,
            &mut self.line_runs,
            &mut self.lines,
        );
        self.dead.orders = 0;
        self.dead.lines = 0;
    }

    /// Squeezes the dead rows out of the interactions and their id keys.
    fn compact_interactions(&mut self) {
        compact::interactions(
            &mut self.interaction_runs,
            &mut self.interactions,
            &mut self.ids.interaction_keys,
        );
        self.dead.interactions = 0;
    }

    /// Drops whatever the dataset caches for reports, after [`apply`](Dataset::apply)
    /// changed the rows: the per-zone purchase-day facts start empty again (with a new
    /// cache id), so that a report never reads stale data. A cache added to the dataset
    /// must be reset here too.
    pub(crate) fn invalidate_caches(&mut self) {
        self.day_facts = Default::default();
    }

    /// Stage 1: validates the batch against the dataset plus the batch, without
    /// changing the dataset.
    fn validate_batch(&self, stage: Stage) -> Result<Batch> {
        self.check_room(&stage)?;
        let customer_existing: Vec<Option<u32>> = (0..stage.customers.rows.len() as u32)
            .map(|k| self.customer_ids.get(stage.customers.ids.resolve(k)))
            .collect();
        // The customers the batch names, resolved once each through a small interner.
        let mut known = Interner::default();
        let mut customer_refs = Vec::new();
        for names in [
            &stage.orders.keys.customer,
            &stage.deals.keys.customer,
            &stage.interactions.keys.customer,
        ] {
            for k in 0..names.len() as u32 {
                let id = names.resolve(k);
                let target = match stage.customers.ids.get(id) {
                    Some(row) => CustomerRef::Batch(row),
                    None => match self.customer_ids.get(id) {
                        Some(key) => CustomerRef::Existing(key),
                        None => continue,
                    },
                };
                if let Some((_, true)) = known.intern(id) {
                    customer_refs.push(target);
                }
            }
        }
        let mut rejected: [Vec<Rejection>; 9] = Default::default();
        let valid_orders =
            validate::orders(&stage.orders, &known, &mut rejected[Table::Orders.index()]);
        // The orders the batch's lines name: an accepted batch order, else one of the
        // dataset (a rejected replacement leaves the old order in place).
        let mut known_orders = Interner::default();
        let mut order_refs = Vec::new();
        for k in 0..stage.order_lines.keys.order.len() as u32 {
            let id = stage.order_lines.keys.order.resolve(k);
            let batch = stage.orders.ids.get(id).filter(|&row| {
                valid_orders
                    .slot_of_row
                    .get(row as usize)
                    .is_some_and(|&s| s != u32::MAX)
            });
            let target = match batch {
                Some(row) => OrderRef::Batch(row),
                None => match self.existing_order(id) {
                    Some(key) => OrderRef::Existing(key),
                    None => continue,
                },
            };
            if let Some((_, true)) = known_orders.intern(id) {
                order_refs.push(target);
            }
        }
        let every_order = validate::ValidOrders {
            customer_of_row: Vec::new(),
            slot_of_row: (0..order_refs.len() as u32).collect(),
        };
        let lines = validate::order_lines(
            &stage.order_lines,
            &known_orders,
            &every_order,
            &mut rejected[Table::OrderLines.index()],
        )
        .into_iter()
        .enumerate()
        .filter(|&(_, slot)| slot != validate::REJECTED)
        .filter_map(|(row, slot)| Some((row as u32, *order_refs.get(slot as usize)?)))
        .collect();
        let deals = validate::deals(&stage.deals, &known, &mut rejected[Table::Deals.index()])
            .into_iter()
            .map(|(row, _)| row)
            .collect();
        let costs = validate::costs(&stage.costs, &mut rejected[Table::Costs.index()]);
        let interactions = validate::accepted_pairs(&validate::interactions(
            &stage.interactions,
            &known,
            &mut rejected[Table::Interactions.index()],
        ));
        let quality = data_quality(
            [
                stage.customers.read,
                stage.orders.read,
                stage.order_lines.read,
                stage.deals.read,
                stage.costs.read,
                stage.interactions.read,
                stage.campaigns.read,
                stage.staff.read,
                stage.fanpages.read,
            ],
            [
                &stage.customers.rejections,
                &stage.orders.rejections,
                &stage.order_lines.rejections,
                &stage.deals.rejections,
                &stage.costs.rejections,
                &stage.interactions.rejections,
                &stage.campaigns.rejections,
                &stage.staff.rejections,
                &stage.fanpages.rejections,
            ],
            rejected,
        );
        let mut rejected_replacements = [0u64; 9];
        for r in &quality.rejections {
            if let Some(id) = &r.id
                && self.has_row(r.table, id)
            {
                rejected_replacements[r.table.index()] += 1;
            }
        }
        Ok(Batch {
            stage,
            customer_existing,
            customer_refs,
            orders: validate::accepted_pairs(&valid_orders.customer_of_row),
            lines,
            deals,
            costs,
            interactions,
            quality,
            rejected_replacements,
        })
    }

    /// Refuses a batch after which a table would have 2^32 - 1 rows or more, or
    /// after which the positions of a run table could reach 2^32 - 1: its rows, dead
    /// ones included, plus the batch's, plus (when the batch has rows of that side:
    /// orders or lines for the order table and its lines, interactions for the
    /// interaction table) its live rows, all of which the batch could rebuild at the
    /// end. A batch of customer rows alone appends no rows to either.
    fn check_room(&self, stage: &Stage) -> Result<()> {
        let order_side = !stage.orders.rows.is_empty() || !stage.order_lines.rows.is_empty();
        let interaction_side = !stage.interactions.rows.is_empty();
        let rebuilt = |side: bool, live: usize| if side { live } else { 0 };
        let sizes = [
            (
                Table::Customers,
                self.customer_ids.len(),
                stage.customers.rows.len(),
            ),
            (Table::Orders, self.order_ids.len(), stage.orders.rows.len()),
            (
                Table::Orders,
                self.orders
                    .len()
                    .saturating_add(rebuilt(order_side, self.order_count())),
                stage.orders.rows.len(),
            ),
            (
                Table::OrderLines,
                self.lines
                    .len()
                    .saturating_add(rebuilt(order_side, self.order_line_count())),
                stage.order_lines.rows.len(),
            ),
            (
                Table::Interactions,
                self.interactions
                    .len()
                    .saturating_add(rebuilt(interaction_side, self.interaction_count())),
                stage.interactions.rows.len(),
            ),
            (Table::Deals, self.ids.deals.len(), stage.deals.rows.len()),
            (Table::Costs, self.costs.len(), stage.costs.rows.len()),
            (
                Table::Interactions,
                self.ids.interactions.len(),
                stage.interactions.rows.len(),
            ),
        ];
        for (table, have, add) in sizes {
            let rows = have.saturating_add(add);
            if rows >= u32::MAX as usize {
                return Err(Error::TooManyRows { table, rows });
            }
        }
        Ok(())
    }

    /// The key of an accepted order with this id.
    fn existing_order(&self, id: &str) -> Option<u32> {
        self.order_ids.get(id).filter(|&key| {
            self.ids
                .order_owner
                .get(key as usize)
                .is_some_and(|&o| o != u32::MAX)
        })
    }

    /// Whether the dataset has an accepted row of `table` with this id.
    fn has_row(&self, table: Table, id: &str) -> bool {
        match table {
            Table::Customers => self.customer_ids.get(id).is_some(),
            Table::Orders => self.existing_order(id).is_some(),
            Table::Deals => self.ids.deals.get(id).is_some(),
            Table::Interactions => self.ids.interactions.get(id).is_some(),
            Table::Campaigns => self
                .campaigns
                .keys
                .get(id)
                .is_some_and(|k| k < self.campaigns.known),
            Table::Staff => self
                .staff
                .keys
                .get(id)
                .is_some_and(|k| k < self.staff.known),
            Table::Fanpages => self
                .fanpages
                .keys
                .get(id)
                .is_some_and(|k| k < self.fanpages.known),
            Table::OrderLines | Table::Costs => false,
        }
    }

    /// Stages 2 to 4: writes a validated batch into the dataset.
    fn write(&mut self, batch: Batch, tables: &mut [TableChanges; 9]) {
        let Batch {
            stage,
            customer_existing,
            customer_refs,
            orders: valid_orders,
            lines: valid_lines,
            deals: valid_deals,
            costs: valid_costs,
            interactions: valid_interactions,
            quality: batch_quality,
            ..
        } = batch;
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
        let mut warnings = [0u64; 3];
        self.write_reference_tables(campaign_stage, staff_stage, fanpage_stage, tables);

        // Customers: new ones get the next keys (input order), replaced ones keep theirs.
        let mut touched: Vec<Touched> = Vec::new();
        let mut touched_at: HashMap<u32, usize> = HashMap::new();
        let mut batch_load = Vec::with_capacity(customer_stage.rows.len());
        for (k, staged) in customer_stage.rows.iter().enumerate() {
            let mut text = [Span::default(); 7];
            for (slot, &span) in text.iter_mut().zip(&staged.text) {
                if let Some(value) = customer_stage.arena.opt(span) {
                    *slot = self.customer_text.arena.push(value).unwrap_or_default();
                }
            }
            let load = match customer_existing.get(k).copied().flatten() {
                Some(load) => {
                    if let Some(slot) = self.customer_text.rows.get_mut(load as usize) {
                        *slot = text;
                    }
                    tables[Table::Customers.index()].replaced += 1;
                    load
                }
                None => {
                    let id = customer_stage.ids.resolve(k as u32);
                    let Some((load, _)) = self.customer_ids.intern(id) else {
                        batch_load.push(u32::MAX);
                        continue;
                    };
                    self.customer_text.rows.push(text);
                    self.customer_by_load.push(CustomerIdx(u32::MAX));
                    tables[Table::Customers.index()].inserted += 1;
                    load
                }
            };
            let has = |i: usize| !text[i].is_empty();
            let row = CustomerRow {
                created_at: staged.created_at,
                birth_date: staged.birth_date,
                load,
                source: staged.source,
                gender: staged.gender,
                contacts: Contacts::new(has(2), has(3), has(4), has(5)),
            };
            let t = self.touch(&mut touched, &mut touched_at, load);
            if let Some(t) = touched.get_mut(t) {
                t.row = row;
            }
            batch_load.push(load);
        }

        let load_of = |known: u32| match customer_refs.get(known as usize) {
            Some(CustomerRef::Batch(row)) => batch_load.get(*row as usize).copied(),
            Some(CustomerRef::Existing(load)) => Some(*load),
            None => None,
        };

        // Orders: replacing one moves it out of its old customer's run.
        let order_pages = merge_keys(&order_stage.keys.fanpage, &mut self.fanpages.keys);
        let order_staff = merge_keys(&order_stage.keys.staff, &mut self.staff.keys);
        let mut removed_orders: HashSet<u32> = HashSet::new();
        let mut batch_order_key = vec![u32::MAX; order_stage.rows.len()];
        for &(row, known) in &valid_orders {
            let (Some(load), Some(o)) = (load_of(known), order_stage.rows.get(row as usize)) else {
                continue;
            };
            let id = order_stage.ids.resolve(row);
            let key = match self.order_ids.get(id) {
                Some(key) => key,
                None => match self.order_ids.intern(id) {
                    Some((key, _)) => key,
                    None => continue,
                },
            };
            if self.ids.order_owner.len() < self.order_ids.len() {
                self.ids.order_owner.resize(self.order_ids.len(), u32::MAX);
            }
            let owner = &mut self.ids.order_owner[key as usize];
            if *owner == u32::MAX {
                tables[Table::Orders.index()].inserted += 1;
            } else {
                let old_owner = *owner;
                removed_orders.insert(key);
                tables[Table::Orders.index()].replaced += 1;
                self.touch(&mut touched, &mut touched_at, old_owner);
            }
            self.ids.order_owner[key as usize] = load;
            batch_order_key[row as usize] = key;
            let order = o.row();
            let detail = OrderDetail {
                cost_of_goods: o.cost_of_goods,
                id: key,
                fanpage: reference(
                    o.fanpage,
                    &order_pages,
                    self.fanpages.known,
                    &mut warnings[Warning::UnknownFanpage as usize],
                ),
                staff: reference(
                    o.staff,
                    &order_staff,
                    self.staff.known,
                    &mut warnings[Warning::UnknownStaff as usize],
                ),
            };
            let t = self.touch(&mut touched, &mut touched_at, load);
            if let Some(t) = touched.get_mut(t) {
                t.orders.push((order, detail));
            }
        }

        // Order lines: appended to their order, whose customer is touched.
        let products = merge_keys(&line_stage.keys.product, &mut self.products);
        let mut new_lines: HashMap<u32, Vec<LineRow>> = HashMap::new();
        for &(row, target) in &valid_lines {
            let Some(l) = line_stage.rows.get(row as usize) else {
                continue;
            };
            let key = match target {
                OrderRef::Batch(r) => batch_order_key.get(r as usize).copied().unwrap_or(u32::MAX),
                OrderRef::Existing(key) => key,
            };
            let Some(&owner) = self.ids.order_owner.get(key as usize) else {
                continue;
            };
            if owner == u32::MAX {
                continue;
            }
            self.touch(&mut touched, &mut touched_at, owner);
            new_lines.entry(key).or_default().push(LineRow {
                product: products
                    .get(l.product as usize)
                    .copied()
                    .unwrap_or(u32::MAX),
                quantity: l.quantity,
            });
            tables[Table::OrderLines.index()].inserted += 1;
        }

        // Interactions.
        let keys = &interaction_stage.keys;
        let pages = merge_keys(&keys.fanpage, &mut self.fanpages.keys);
        let staff = merge_keys(&keys.staff, &mut self.staff.keys);
        let campaigns = merge_keys(&keys.campaign, &mut self.campaigns.keys);
        let refs = merge_keys(&keys.reference, &mut self.refs);
        self.engagement.grow_campaigns(self.campaigns.keys.len());
        let mut removed_interactions: HashSet<u32> = HashSet::new();
        for &(row, known) in &valid_interactions {
            let (Some(load), Some(i)) = (load_of(known), interaction_stage.rows.get(row as usize))
            else {
                continue;
            };
            let id = interaction_stage.ids.resolve(row);
            let key = match self.ids.interactions.get(id) {
                Some(key) => {
                    let old_owner = self.ids.interaction_owner[key as usize];
                    removed_interactions.insert(key);
                    self.touch(&mut touched, &mut touched_at, old_owner);
                    self.ids.interaction_owner[key as usize] = load;
                    tables[Table::Interactions.index()].replaced += 1;
                    key
                }
                None => {
                    let Some((key, _)) = self.ids.interactions.intern(id) else {
                        continue;
                    };
                    self.ids.interaction_owner.push(load);
                    tables[Table::Interactions.index()].inserted += 1;
                    key
                }
            };
            let interaction = InteractionRow {
                at: i.at,
                fanpage: reference(
                    i.fanpage,
                    &pages,
                    self.fanpages.known,
                    &mut warnings[Warning::UnknownFanpage as usize],
                ),
                staff: reference(
                    i.staff,
                    &staff,
                    self.staff.known,
                    &mut warnings[Warning::UnknownStaff as usize],
                ),
                campaign: reference(
                    i.campaign,
                    &campaigns,
                    self.campaigns.known,
                    &mut warnings[Warning::UnknownCampaign as usize],
                ),
                ref_id: i
                    .reference
                    .get()
                    .and_then(|k| refs.get(k as usize))
                    .map_or(OptKey::NONE, |&k| OptKey::some(k)),
                channel: i.channel,
                kind: i.kind,
                direction: i.direction,
                automated: i.automated,
            };
            let t = self.touch(&mut touched, &mut touched_at, load);
            if let Some(t) = touched.get_mut(t) {
                t.interactions.push((interaction, key));
            }
        }

        self.rebuild_customers(touched, &removed_orders, &removed_interactions, new_lines);

        self.write_deals(&deal_stage, &valid_deals, tables);

        self.write_costs(&cost_stage, &valid_costs, tables);

        self.add_quality(batch_quality, warnings);
    }

    /// The position in `touched` of the customer with key `load`, added (with its
    /// current row) when new to it.
    fn touch(
        &self,
        touched: &mut Vec<Touched>,
        touched_at: &mut HashMap<u32, usize>,
        load: u32,
    ) -> usize {
        *touched_at.entry(load).or_insert_with(|| {
            let old_idx = self
                .customer_by_load
                .get(load as usize)
                .map(|idx| idx.index())
                .filter(|&idx| idx < self.customers.len());
            let row = old_idx
                .and_then(|idx| self.customers.get(idx))
                .copied()
                .unwrap_or(CustomerRow {
                    created_at: Ts::default(),
                    birth_date: None,
                    load,
                    source: crate::model::Source::Manual,
                    gender: None,
                    contacts: Contacts::default(),
                });
            touched.push(Touched {
                row,
                old_idx,
                orders: Vec::new(),
                interactions: Vec::new(),
            });
            touched.len() - 1
        })
    }

    /// Staff, fanpages and campaigns: replaced in place, or added (renumbering keys when
    /// ids that were only referenced get a row).
    fn write_reference_tables(
        &mut self,
        campaign_stage: TableStage<crate::dataset::stage::StagedCampaign>,
        staff_stage: TableStage<crate::dataset::stage::StagedStaff>,
        fanpage_stage: TableStage<crate::dataset::stage::StagedFanpage>,
        tables: &mut [TableChanges; 9],
    ) {
        let ids = &staff_stage.ids;
        let rows = staff_stage
            .rows
            .into_iter()
            .enumerate()
            .map(|(k, r)| (ids.resolve(k as u32), r.name))
            .collect();
        let ((inserted, replaced), staff_map) = add_entities(&mut self.staff, rows);
        tables[Table::Staff.index()].inserted = inserted;
        tables[Table::Staff.index()].replaced = replaced;

        let ids = &fanpage_stage.ids;
        let rows = fanpage_stage
            .rows
            .into_iter()
            .enumerate()
            .map(|(k, r)| {
                (
                    ids.resolve(k as u32),
                    FanpageInfo {
                        name: r.name,
                        channel: r.channel,
                        activated: r.activated,
                        linked_accounts: r.linked_accounts,
                    },
                )
            })
            .collect();
        let ((inserted, replaced), page_map) = add_entities(&mut self.fanpages, rows);
        tables[Table::Fanpages.index()].inserted = inserted;
        tables[Table::Fanpages.index()].replaced = replaced;

        let ids = &campaign_stage.ids;
        let rows = campaign_stage
            .rows
            .into_iter()
            .enumerate()
            .map(|(k, r)| {
                (
                    ids.resolve(k as u32),
                    CampaignInfo {
                        name: r.name,
                        channel: r.channel,
                    },
                )
            })
            .collect();
        let ((inserted, replaced), campaign_map) = add_entities(&mut self.campaigns, rows);
        tables[Table::Campaigns.index()].inserted = inserted;
        tables[Table::Campaigns.index()].replaced = replaced;

        if staff_map.is_none() && page_map.is_none() && campaign_map.is_none() {
            return;
        }
        // The rare path: a pass over every order and interaction.
        for detail in &mut self.order_details {
            if let Some(map) = &page_map {
                renumber(&mut detail.fanpage, map);
            }
            if let Some(map) = &staff_map {
                renumber(&mut detail.staff, map);
            }
        }
        for row in &mut self.interactions {
            if let Some(map) = &page_map {
                renumber(&mut row.fanpage, map);
            }
            if let Some(map) = &staff_map {
                renumber(&mut row.staff, map);
            }
            if let Some(map) = &campaign_map {
                renumber(&mut row.campaign, map);
            }
        }
        if let Some(map) = &page_map {
            self.inbound.renumber_fanpages(map);
        }
        if let Some(map) = &campaign_map {
            self.engagement
                .renumber_campaigns(map, self.campaigns.keys.len());
        }
    }

    /// Stages 2 and 3 for customers: rebuilds the touched customers' runs, places them
    /// in `(created_at, input order)` order, splices every per-customer and per-row
    /// vector, and updates the summaries and the inbound and engagement indexes.
    fn rebuild_customers(
        &mut self,
        touched: Vec<Touched>,
        removed_orders: &HashSet<u32>,
        removed_interactions: &HashSet<u32>,
        mut new_lines: HashMap<u32, Vec<LineRow>>,
    ) {
        if touched.is_empty() {
            return;
        }

        // Old rows of the touched customers: kept ones, and the lines of replaced orders
        // (which follow their order wherever it goes). A customer whose orders (or
        // interactions) the batch leaves as they were keeps its run where it is.
        let mut runs: Vec<Runs> = Vec::with_capacity(touched.len());
        let mut carried: HashMap<u32, Vec<LineRow>> = HashMap::new();
        let mut removed_inbound: Vec<InboundEntry> = Vec::new();
        let mut removed_engagement: Vec<engagement::Entry> = Vec::new();
        for t in &touched {
            let mut run = Runs {
                orders_changed: t.old_idx.is_none() || !t.orders.is_empty(),
                interactions_changed: t.old_idx.is_none() || !t.interactions.is_empty(),
                ..Runs::default()
            };
            if let Some(q) = t.old_idx {
                let idx = CustomerIdx(q as u32);
                let first = self.first_order_position(idx);
                for (p, order) in self.orders_of(idx).iter().enumerate() {
                    let position = first + p;
                    let Some(detail) = self.order_details.get(position) else {
                        continue;
                    };
                    let lines = self.lines_of(position).to_vec();
                    run.old_lines += lines.len() as u64;
                    if removed_orders.contains(&detail.id) {
                        carried.insert(detail.id, lines);
                        run.orders_changed = true;
                    } else {
                        run.orders_changed |= new_lines.contains_key(&detail.id);
                        run.orders.push((*order, *detail, lines));
                    }
                }
                let first = self.interaction_runs.get(q).map_or(0, |r| r.start as usize);
                let rows = self.interactions_of(idx);
                let created_at = self
                    .customers
                    .get(q)
                    .map_or(Ts::default(), |c| c.created_at);
                social_index::entries_of(created_at, rows, &mut removed_inbound);
                for (p, row) in rows.iter().enumerate() {
                    engagement::slots(row, |slot| {
                        removed_engagement.push((slot, row.at, created_at));
                    });
                    let key = self
                        .ids
                        .interaction_keys
                        .get(first + p)
                        .copied()
                        .unwrap_or(u32::MAX);
                    if removed_interactions.contains(&key) {
                        run.interactions_changed = true;
                    } else {
                        run.interactions.push((*row, key));
                    }
                }
            }
            runs.push(run);
        }

        for (t, run) in touched.iter().zip(&mut runs) {
            for &(order, detail) in &t.orders {
                let lines = carried.remove(&detail.id).unwrap_or_default();
                run.orders.push((order, detail, lines));
            }
            for order in &mut run.orders {
                if let Some(lines) = new_lines.remove(&order.1.id) {
                    order.2.extend(lines);
                }
            }
            let ids = &self.order_ids;
            run.orders.sort_by(|a, b| {
                a.0.created_at
                    .cmp(&b.0.created_at)
                    .then_with(|| ids.resolve(a.1.id).cmp(ids.resolve(b.1.id)))
            });
            run.interactions.extend_from_slice(&t.interactions);
            run.interactions.sort_by_key(|&(row, key)| (row.at, key));
        }

        // The customers' new order.
        let n_old = self.customers.len();
        let mut removed = Vec::new();
        let mut inserted = Vec::new();
        let mut in_place = Vec::new();
        for (r, t) in touched.iter().enumerate() {
            match t.old_idx {
                Some(q)
                    if self
                        .customers
                        .get(q)
                        .is_some_and(|c| c.created_at == t.row.created_at) =>
                {
                    in_place.push((q, r));
                }
                old => {
                    if let Some(q) = old {
                        removed.push(q);
                    }
                    let key = (t.row.created_at, t.row.load);
                    let at = self
                        .customers
                        .partition_point(|c| (c.created_at, c.load) < key);
                    inserted.push((key, at, r));
                }
            }
        }
        removed.sort_unstable();
        inserted.sort_unstable_by_key(|&(key, _, _)| key);
        let inserted: Vec<(usize, usize)> = inserted.iter().map(|&(_, at, r)| (at, r)).collect();
        let segs = plan(n_old, &removed, &inserted, &in_place);

        // The touched customers in their new order: their rows (for their summaries),
        // the rows appended to the run tables (the changed runs), and their runs.
        let mut customer_pieces = Vec::new();
        let mut fresh = FreshRows::default();
        let mut appended = FreshRows::default();
        let mut fresh_order_runs = Vec::new();
        let mut fresh_interaction_runs = Vec::new();
        let mut added_inbound = Vec::new();
        let mut added_engagement = Vec::new();
        let mut dead = self.dead;
        let (order_base, interaction_base) = (self.orders.len(), self.interactions.len());
        for seg in &segs {
            match seg {
                Seg::Old(r) => push_piece(&mut customer_pieces, Piece::Old(r.clone())),
                &Seg::Fresh(r) => {
                    let (t, run) = (&touched[r], &runs[r]);
                    let k = fresh.customers.len();
                    fresh.customers.push(t.row);
                    push_piece(&mut customer_pieces, Piece::Fresh(k..k + 1));
                    let old = t.old_idx.map(|q| CustomerIdx(q as u32));
                    let o = fresh.orders.len();
                    // Only the rows the summaries read; the changed runs are appended below.
                    fresh
                        .orders
                        .extend(run.orders.iter().map(|(order, _, _)| *order));
                    fresh.order_runs.push(Run {
                        start: o as u32,
                        len: (fresh.orders.len() - o) as u32,
                    });
                    fresh_order_runs.push(if run.orders_changed {
                        if let Some(old) = old {
                            dead.orders += self.orders_of(old).len() as u64;
                            dead.lines += run.old_lines;
                        }
                        let start = order_base + appended.orders.len();
                        for (order, detail, lines) in &run.orders {
                            appended.orders.push(*order);
                            appended.details.push(*detail);
                            appended.line_counts.push(lines.len() as u32);
                            appended.lines.extend_from_slice(lines);
                        }
                        Run {
                            start: start as u32,
                            len: run.orders.len() as u32,
                        }
                    } else {
                        old.and_then(|q| self.order_runs.get(q.index()).copied())
                            .unwrap_or_default()
                    });
                    let i = fresh.interactions.len();
                    for &(row, _) in &run.interactions {
                        fresh.interactions.push(row);
                        engagement::slots(&row, |slot| {
                            added_engagement.push((slot, row.at, t.row.created_at));
                        });
                    }
                    fresh.interaction_runs.push(Run {
                        start: i as u32,
                        len: (fresh.interactions.len() - i) as u32,
                    });
                    social_index::entries_of(
                        t.row.created_at,
                        &fresh.interactions[i..],
                        &mut added_inbound,
                    );
                    fresh_interaction_runs.push(if run.interactions_changed {
                        if let Some(old) = old {
                            dead.interactions += self.interactions_of(old).len() as u64;
                        }
                        let start = interaction_base + appended.interactions.len();
                        for &(row, key) in &run.interactions {
                            appended.interactions.push(row);
                            appended.keys.push(key);
                        }
                        Run {
                            start: start as u32,
                            len: run.interactions.len() as u32,
                        }
                    } else {
                        old.and_then(|q| self.interaction_runs.get(q.index()).copied())
                            .unwrap_or_default()
                    });
                }
            }
        }
        let CustomerSummaries {
            last_order_secs,
            last_interaction_secs,
            purchase_totals,
            first_social_message,
        } = customer_summaries(
            &fresh.order_runs,
            &fresh.orders,
            &fresh.interaction_runs,
            &fresh.interactions,
        );
        self.dead = dead;
        let compact_orders = too_dead(self.orders.len() + appended.orders.len(), dead.orders)
            || too_dead(self.lines.len() + appended.lines.len(), dead.lines);
        let compact_interactions = too_dead(
            self.interactions.len() + appended.interactions.len(),
            dead.interactions,
        );

        // Two groups of disjoint vectors: customers, orders and lines, then interactions
        // and the indexes of interactions.
        let FreshRows {
            customers: fresh_customers,
            ..
        } = fresh;
        join(
            || {
                // Customers, and the index of each customer that moved or is fresh,
                // found while its row is in the cache.
                let by_load = &mut self.customer_by_load;
                splice::splice_visit(
                    &mut self.customers,
                    &customer_pieces,
                    &fresh_customers,
                    |i, to, rows| {
                        if matches!(customer_pieces.get(i), Some(Piece::Old(r)) if r.start == to) {
                            return;
                        }
                        for (idx, row) in (to..).zip(rows.iter()) {
                            if let Some(slot) = by_load.get_mut(row.load as usize) {
                                *slot = CustomerIdx(idx as u32);
                            }
                        }
                    },
                );
                splice::splice(
                    &mut self.last_order_secs,
                    &customer_pieces,
                    &last_order_secs,
                );
                splice::splice(
                    &mut self.purchase_totals,
                    &customer_pieces,
                    &purchase_totals,
                );
                splice::splice(&mut self.order_runs, &customer_pieces, &fresh_order_runs);
                append(&mut self.orders, &appended.orders);
                append(&mut self.order_details, &appended.details);
                append(&mut self.lines, &appended.lines);
                let mut end = self.line_runs.last().copied().unwrap_or(0);
                let ends: Vec<u32> = appended
                    .line_counts
                    .iter()
                    .map(|&n| {
                        end = end.wrapping_add(n);
                        end
                    })
                    .collect();
                append(&mut self.line_runs, &ends);
            },
            || {
                splice::splice(
                    &mut self.last_interaction_secs,
                    &customer_pieces,
                    &last_interaction_secs,
                );
                splice::splice(
                    &mut self.first_social_message,
                    &customer_pieces,
                    &first_social_message,
                );
                splice::splice(
                    &mut self.interaction_runs,
                    &customer_pieces,
                    &fresh_interaction_runs,
                );
                append(&mut self.interactions, &appended.interactions);
                append(&mut self.ids.interaction_keys, &appended.keys);
                self.inbound.update(removed_inbound, added_inbound);
                self.engagement.update(removed_engagement, added_engagement);
            },
        );
        // Rare (once in many batches), so one side after the other.
        if compact_orders {
            self.compact_orders();
        }
        if compact_interactions {
            self.compact_interactions();
        }
    }

    /// Deals: replaced ones leave their place, new and replacing ones go to theirs in
    /// `(created_at, input order)`; then the stage index follows.
    fn write_deals(
        &mut self,
        stage: &TableStage<crate::dataset::stage::StagedDeal>,
        valid: &[u32],
        tables: &mut [TableChanges; 9],
    ) {
        if valid.is_empty() {
            return;
        }
        let sources = merge_keys(&stage.keys.source, &mut self.marketing_sources);
        let types = merge_keys(&stage.keys.product_type, &mut self.product_types);
        let mut replaced_keys: Vec<u32> = Vec::new();
        let mut fresh: Vec<(DealRow, u32)> = Vec::with_capacity(valid.len());
        for &row in valid {
            let Some(d) = stage.rows.get(row as usize) else {
                continue;
            };
            let id = stage.ids.resolve(row);
            let key = match self.ids.deals.get(id) {
                Some(key) => {
                    replaced_keys.push(key);
                    tables[Table::Deals.index()].replaced += 1;
                    key
                }
                None => {
                    let Some((key, _)) = self.ids.deals.intern(id) else {
                        continue;
                    };
                    tables[Table::Deals.index()].inserted += 1;
                    key
                }
            };
            fresh.push((
                DealRow {
                    created_at: d.created_at,
                    handed_over_at: d.handed_over_at,
                    opportunity_at: d.opportunity_at,
                    won_at: d.won_at,
                    revenue: d.revenue,
                    source: sources.get(d.source as usize).copied().unwrap_or(u32::MAX),
                    product_type: d
                        .product_type
                        .get()
                        .and_then(|k| types.get(k as usize))
                        .map_or(OptKey::NONE, |&k| OptKey::some(k)),
                },
                key,
            ));
        }
        // The positions of the replaced deals: one pass over the keys, testing a bit each.
        let removed: Vec<usize> = if replaced_keys.is_empty() {
            Vec::new()
        } else {
            let mut replaced = vec![0u64; self.ids.deals.len().div_ceil(64)];
            for &key in &replaced_keys {
                if let Some(word) = replaced.get_mut(key as usize / 64) {
                    *word |= 1 << (key % 64);
                }
            }
            self.ids
                .deal_keys
                .iter()
                .enumerate()
                .filter(|&(_, &key)| {
                    replaced
                        .get(key as usize / 64)
                        .is_some_and(|word| word >> (key % 64) & 1 == 1)
                })
                .map(|(p, _)| p)
                .collect()
        };
        let removed_rows: Vec<(u32, DealRow)> = removed
            .iter()
            .filter_map(|&p| Some((p as u32, *self.deals.get(p)?)))
            .collect();
        fresh.sort_by_key(|(d, key)| (d.created_at, *key));
        let n_old = self.deals.len();
        let inserted: Vec<(usize, usize)> = fresh
            .iter()
            .enumerate()
            .map(|(i, (d, key))| {
                let target = (d.created_at, *key);
                let (mut lo, mut hi) = (0, n_old);
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    if (self.deals[mid].created_at, self.ids.deal_keys[mid]) < target {
                        lo = mid + 1;
                    } else {
                        hi = mid;
                    }
                }
                (lo, i)
            })
            .collect();
        let segs = plan(n_old, &removed, &inserted, &[]);
        let mut pieces = Vec::new();
        let mut fresh_rows = Vec::with_capacity(fresh.len());
        let mut fresh_keys = Vec::with_capacity(fresh.len());
        let mut added = Vec::with_capacity(fresh.len());
        // Whether a kept deal changes position (a deal inserted before it, or moving
        // past it): then every index entry is renumbered.
        let mut shifted = false;
        let mut position = 0usize;
        for seg in &segs {
            match seg {
                Seg::Old(r) => {
                    shifted |= position != r.start;
                    push_piece(&mut pieces, Piece::Old(r.clone()));
                    position += r.len();
                }
                &Seg::Fresh(i) => {
                    let k = fresh_rows.len();
                    fresh_rows.push(fresh[i].0);
                    fresh_keys.push(fresh[i].1);
                    push_piece(&mut pieces, Piece::Fresh(k..k + 1));
                    added.push(position as u32);
                    position += 1;
                }
            }
        }
        splice::splice(&mut self.deals, &pieces, &fresh_rows);
        splice::splice(&mut self.ids.deal_keys, &pieces, &fresh_keys);
        if !shifted {
            // Deals replaced where they were, or added after every kept one: the kept
            // deals' entries stay as they are.
            self.deal_index.replace(&self.deals, &removed_rows, &added);
            return;
        }
        let mut old_to_new = vec![u32::MAX; n_old];
        let mut position = 0usize;
        for seg in &segs {
            match seg {
                Seg::Old(r) => {
                    for (offset, slot) in old_to_new
                        .get_mut(r.clone())
                        .unwrap_or_default()
                        .iter_mut()
                        .enumerate()
                    {
                        *slot = (position + offset) as u32;
                    }
                    position += r.len();
                }
                Seg::Fresh(_) => position += 1,
            }
        }
        self.deal_index.update(&self.deals, &old_to_new, &added);
    }

    /// Costs: each goes after the costs of its date (input order).
    fn write_costs(
        &mut self,
        stage: &TableStage<crate::dataset::stage::StagedCost>,
        valid: &[u32],
        tables: &mut [TableChanges; 9],
    ) {
        if valid.is_empty() {
            return;
        }
        let sources = merge_keys(&stage.keys.source, &mut self.marketing_sources);
        let types = merge_keys(&stage.keys.product_type, &mut self.product_types);
        let mut fresh: Vec<CostRow> = valid
            .iter()
            .filter_map(|&row| {
                let c = stage.rows.get(row as usize)?;
                Some(CostRow {
                    date: c.date,
                    source: sources.get(c.source as usize).copied().unwrap_or(u32::MAX),
                    product_type: c
                        .product_type
                        .get()
                        .and_then(|k| types.get(k as usize))
                        .map_or(OptKey::NONE, |&k| OptKey::some(k)),
                    amount: c.amount,
                })
            })
            .collect();
        tables[Table::Costs.index()].inserted = fresh.len() as u64;
        fresh.sort_by_key(|c| c.date);
        splice::insert_sorted(&mut self.costs, &fresh, |c| c.date);
    }

    /// Data quality: counts and warnings add up; each table's rejections follow its
    /// earlier ones.
    fn add_quality(&mut self, batch: DataQuality, warnings: [u64; 3]) {
        let quality = &mut self.quality;
        for (total, add) in quality.tables.iter_mut().zip(&batch.tables) {
            total.read += add.read;
            total.accepted += add.accepted;
            total.rejected += add.rejected;
        }
        for (total, add) in quality.warnings.iter_mut().zip(warnings) {
            *total += add;
        }
        if batch.rejections.is_empty() {
            return;
        }
        let mut merged = Vec::with_capacity(quality.rejections.len() + batch.rejections.len());
        let mut old = std::mem::take(&mut quality.rejections)
            .into_iter()
            .peekable();
        let mut new = batch.rejections.into_iter().peekable();
        for table in Table::ALL {
            while let Some(r) = old.next_if(|r| r.table == table) {
                merged.push(r);
            }
            while let Some(r) = new.next_if(|r| r.table == table) {
                merged.push(r);
            }
        }
        merged.extend(old);
        merged.extend(new);
        quality.rejections = merged;
    }
}

mod compact;

#[cfg(test)]
mod tests;
