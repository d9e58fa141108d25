//! The two aggregate UDFs of the report, whose states are the crate's partial states
//! ([`crm_metrics::fold::Fold`]):
//!
//! * `crm_fold(tag, columns…)`, grouped by customer bucket ([`crate::udf::BucketUdf`]):
//!   rows of customers, orders, order lines, deals, costs and interactions arrive as one
//!   wide relation (a tag says which table a row is of) and are kept as each table's
//!   own Arrow columns. Before the shuffle a bucket's rows may be spread over input
//!   partitions, so the partial state is the rows themselves, as typed Arrow columns
//!   (one `List<Struct<columns>>` per table, one list per bucket: the columns as read,
//!   decimals as `Decimal128` with their scale, so exact by construction, text as
//!   `Utf8`); after the shuffle the bucket's rows are together and `evaluate` reads
//!   them into model structs, builds a `Dataset` of them plus the broadcast tables
//!   (campaigns, staff, fanpages), checks that the build accepted every row, and folds
//!   every customer, deal and cost into the sections' partial states ([`States`]),
//!   returned serialized (`Binary`; JSON in the sections' versioned envelopes where
//!   they have one).
//! * `crm_report(states)`, one group: `update_batch` and `merge_batch` deserialize
//!   states and merge them with [`Fold::merge`], exactly (counts add, decimal sums are
//!   exact, medians were settled per customer); its state is the merged states,
//!   serialized; `evaluate` finishes them into the sections ([`SectionValues`], as JSON).
//!
//! `crm_fold` is grouped (by bucket, as many groups as buckets) and has its own
//! `GroupsAccumulator`, [`FoldGroups`]: no accumulator object per group, rows kept as
//! Arrow columns with their group index until the buckets are folded, one bucket at a
//! time (see its docs). `crm_report` has one group and is a plain `Accumulator`.

use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crm_metrics::fold::{Fold, Versioned};
use crm_metrics::model::{Campaign, Fanpage, Staff};
use crm_metrics::sample::SampleRows;
use crm_metrics::{
    DatasetBuilder, ReportOptions, cohorts, customer_picture, customers, lifecycle, marketing, rfm,
    social,
};
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BinaryBuilder, BooleanArray, ListArray, StructArray, UInt32Array,
    new_empty_array,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::compute::{cast, interleave, take};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields, Int32Type};
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility,
};
use serde::{Deserialize, Serialize};

use crate::tables::RowReader;

/// The name of the merging aggregate UDF ([`Stage::Merge`]).
pub const NAME: &str = "crm_report";

/// The name of the folding aggregate UDF ([`Stage::Fold`]).
pub const FOLD_NAME: &str = "crm_fold";

/// The tables that arrive through the wide relation, with their tag (the first argument)
/// and in argument order after it.
pub const FOLDED: [&str; 6] = [
    "customers",
    "orders",
    "order_lines",
    "deals",
    "costs",
    "interactions",
];

/// The argument position of the first column of each folded table (after the tag).
pub fn offsets() -> [usize; 6] {
    let mut out = [0; 6];
    let mut at = 1;
    for (k, table) in FOLDED.iter().enumerate() {
        out[k] = at;
        at += crate::tables::columns(table).map_or(0, <[_]>::len);
    }
    out
}

/// The number of arguments of the UDAF: the tag and every column of the folded tables.
pub fn arity() -> usize {
    1 + FOLDED
        .iter()
        .map(|t| crate::tables::columns(t).map_or(0, <[_]>::len))
        .sum::<usize>()
}

/// What the UDAF is parameterized with, and what the Ballista codec carries: the report
/// options (time zone, `as_of`, period, comparison, filters) and the broadcast tables.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// The report's options (`profile` is never computed here: `customer` is ignored).
    pub options: ReportOptions,
    /// The accepted campaigns.
    pub campaigns: Vec<Campaign>,
    /// The accepted staff.
    pub staff: Vec<Staff>,
    /// The accepted fanpages.
    pub fanpages: Vec<Fanpage>,
}

/// Which of the two aggregates a [`ReportUdaf`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    /// `crm_fold`, grouped by customer bucket: its state is the bucket's rows (as
    /// typed Arrow columns) until the rows of the bucket are together; its value
    /// is the bucket's folded partial states ([`States::to_bytes`]).
    Fold,
    /// `crm_report`, over the buckets' partial states, one group: its state is the
    /// merged partial states, its value the finished sections as JSON.
    Merge,
}

/// The two aggregate UDFs of the report. Equality and hash are those of the stage and
/// the parameters' JSON, so that plans with the same parameters compare equal.
#[derive(Debug)]
pub struct ReportUdaf {
    stage: Stage,
    params: Arc<Params>,
    json: String,
    signature: Signature,
}

impl PartialEq for ReportUdaf {
    fn eq(&self, other: &ReportUdaf) -> bool {
        self.stage == other.stage && self.json == other.json
    }
}

impl Eq for ReportUdaf {}

impl Hash for ReportUdaf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.stage.hash(state);
        self.json.hash(state);
    }
}

impl ReportUdaf {
    /// The UDAF of `stage` for these parameters.
    ///
    /// # Errors
    /// When the options do not resolve.
    pub fn new(stage: Stage, params: Params) -> Result<ReportUdaf> {
        params.options.resolve().map_err(external)?;
        let json = serde_json::to_string(&params).map_err(external)?;
        let arity = match stage {
            Stage::Fold => arity(),
            Stage::Merge => 1,
        };
        Ok(ReportUdaf {
            stage,
            params: Arc::new(params),
            json,
            signature: Signature::any(arity, Volatility::Immutable),
        })
    }

    /// The stage.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// The parameters as JSON (what a plan codec sends).
    pub fn params_json(&self) -> &str {
        &self.json
    }

    /// The UDAF from [`params_json`](ReportUdaf::params_json).
    ///
    /// # Errors
    /// When the JSON is not the parameters of this build.
    pub fn from_json(stage: Stage, json: &str) -> Result<ReportUdaf> {
        ReportUdaf::new(stage, serde_json::from_str(json).map_err(external)?)
    }
}

/// A DataFusion error wrapping another.
pub(crate) fn external(e: impl std::error::Error + Send + Sync + 'static) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

impl AggregateUDFImpl for ReportUdaf {
    fn name(&self) -> &str {
        match self.stage {
            Stage::Fold => FOLD_NAME,
            Stage::Merge => NAME,
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(match self.stage {
            Stage::Fold => DataType::Binary,
            Stage::Merge => DataType::Utf8,
        })
    }

    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(match self.stage {
            Stage::Fold => Box::new(FoldAccumulator {
                inner: FoldGroups::new(self.params.clone(), args.expr_fields)?,
            }),
            Stage::Merge => Box::new(MergeAccumulator {
                params: self.params.clone(),
                merged: None,
            }),
        })
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        match self.stage {
            Stage::Fold => fold_state_fields(args.name, args.input_fields),
            Stage::Merge => Ok(vec![Arc::new(Field::new(
                format!("{}[partial_states]", args.name),
                DataType::Binary,
                true,
            ))]),
        }
    }

    fn groups_accumulator_supported(&self, _: AccumulatorArgs) -> bool {
        self.stage == Stage::Fold
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        match self.stage {
            Stage::Fold => Ok(Box::new(FoldGroups::new(
                self.params.clone(),
                args.expr_fields,
            )?)),
            Stage::Merge => Err(DataFusionError::NotImplemented(
                "crm_report has one group: no GroupsAccumulator".into(),
            )),
        }
    }
}

/// The partial states of every section but `profile`.
#[derive(Clone, Debug)]
pub struct States {
    customers: customers::Partial,
    picture: customer_picture::Partial,
    social: social::Partial,
    marketing: marketing::Partial,
    lifecycle: lifecycle::Partial,
    cohorts: cohorts::Partial,
    rfm: rfm::Partial,
}

/// The sections [`States`] finish into, as the report's JSON names them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SectionValues {
    /// `customers`.
    pub customers: customers::CustomersSection,
    /// `marketing`.
    pub marketing: marketing::MarketingSection,
    /// `customer_picture`.
    pub customer_picture: customer_picture::CustomerPictureSection,
    /// `social`.
    pub social: social::SocialSection,
    /// `lifecycle`.
    pub lifecycle: lifecycle::LifecycleSection,
    /// `cohorts`.
    pub cohorts: Vec<cohorts::CohortRow>,
    /// `rfm`.
    pub rfm: rfm::RfmSection,
}

impl States {
    /// Empty states for `options`.
    ///
    /// # Errors
    /// When the options do not resolve.
    pub fn new(options: &ReportOptions) -> crm_metrics::Result<States> {
        let context = options.resolve()?;
        Ok(States {
            customers: customers::Partial::with_context(&context),
            picture: customer_picture::Partial::with_context(
                &context,
                &customer_picture::PictureOptions::default(),
            )?,
            social: social::Partial::with_context(&context),
            marketing: marketing::Partial::with_context(&context),
            lifecycle: lifecycle::Partial::new(options)?,
            cohorts: cohorts::Partial::new(options)?,
            rfm: rfm::Partial::new(options)?,
        })
    }

    /// Folds a partition: builds the dataset of `rows` plus the broadcast tables of
    /// `params`, checks that every row was accepted, folds every customer, deal and cost.
    ///
    /// # Errors
    /// When the build rejects a row (the path's assumption is broken: the message names
    /// the first rejection), or the build fails.
    pub fn fold(params: &Params, rows: &SampleRows) -> Result<States> {
        let mut builder = DatasetBuilder::new().time_zone(params.options.calendar.clone());
        rows.push_into(&mut builder);
        params
            .campaigns
            .iter()
            .for_each(|r| builder.push_campaign(r));
        params.staff.iter().for_each(|r| builder.push_staff(r));
        params.fanpages.iter().for_each(|r| builder.push_fanpage(r));
        let dataset = builder.build().map_err(external)?;
        if let Some(first) = dataset.quality().rejections().first() {
            return Err(DataFusionError::Execution(format!(
                "{} rows of a partition were rejected by the Dataset build (the tables must \
                 hold rows a build accepts, each customer's rows hashed to one partition); \
                 first: {} row {} id {:?}: {} {}",
                dataset.quality().rejections().len(),
                first.table,
                first.line,
                first.id,
                first.reason,
                first.detail
            )));
        }
        let mut states = States::new(&params.options).map_err(external)?;
        states.social.add_pages(&dataset);
        for customer in dataset.customer_indices() {
            states.customers.add_customer(&dataset, customer);
            states.picture.add_customer(&dataset, customer);
            states.social.add_customer(&dataset, customer);
            states.lifecycle.add_customer(&dataset, customer);
            states.cohorts.add_customer(&dataset, customer);
            states.rfm.add_customer(&dataset, customer);
        }
        states
            .marketing
            .add_deals(&dataset, 0..dataset.deal_count());
        states
            .marketing
            .add_costs(&dataset, 0..dataset.cost_count());
        Ok(states)
    }

    /// Merges the states of a disjoint partition.
    ///
    /// # Errors
    /// When the states were made for other options, or a sum overflows.
    pub fn merge(&mut self, other: States) -> crm_metrics::Result<()> {
        self.customers.merge(other.customers)?;
        self.picture.merge(other.picture)?;
        self.social.merge(other.social)?;
        self.marketing.merge(other.marketing)?;
        self.lifecycle.merge(other.lifecycle)?;
        self.cohorts.merge(other.cohorts)?;
        self.rfm.merge(other.rfm)
    }

    /// The sections.
    ///
    /// # Errors
    /// [`crm_metrics::Error::Overflow`] naming the metric.
    pub fn finish(self) -> crm_metrics::Result<SectionValues> {
        Ok(SectionValues {
            customers: self.customers.finish()?,
            marketing: self.marketing.finish()?,
            customer_picture: self.picture.finish()?,
            social: self.social.finish()?,
            lifecycle: self.lifecycle.finish()?,
            cohorts: self.cohorts.finish()?,
            rfm: self.rfm.finish()?,
        })
    }

    /// The states serialized (JSON; the sections' versioned envelopes where they
    /// have one).
    ///
    /// # Errors
    /// When serde fails (it does not for these types).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let wire = WireOut {
            customers: Versioned::new(self.customers.clone()),
            customer_picture: Versioned::new(self.picture.clone()),
            social: Versioned::new(self.social.clone()),
            marketing: Versioned::new(self.marketing.clone()),
            lifecycle: &self.lifecycle,
            cohorts: &self.cohorts,
            rfm: &self.rfm,
        };
        serde_json::to_vec(&wire).map_err(external)
    }

    /// States from [`to_bytes`](States::to_bytes).
    ///
    /// # Errors
    /// When the bytes are not states this build writes.
    pub fn from_bytes(bytes: &[u8]) -> Result<States> {
        let wire: WireIn = serde_json::from_slice(bytes).map_err(external)?;
        Ok(States {
            customers: wire.customers.into_inner(),
            picture: wire.customer_picture.into_inner(),
            social: wire.social.into_inner(),
            marketing: wire.marketing.into_inner(),
            lifecycle: wire.lifecycle,
            cohorts: wire.cohorts,
            rfm: wire.rfm,
        })
    }
}

#[derive(Serialize)]
struct WireOut<'a> {
    customers: Versioned<customers::Partial>,
    customer_picture: Versioned<customer_picture::Partial>,
    social: Versioned<social::Partial>,
    marketing: Versioned<marketing::Partial>,
    lifecycle: &'a lifecycle::Partial,
    cohorts: &'a cohorts::Partial,
    rfm: &'a rfm::Partial,
}

#[derive(Deserialize)]
struct WireIn {
    customers: Versioned<customers::Partial>,
    customer_picture: Versioned<customer_picture::Partial>,
    social: Versioned<social::Partial>,
    marketing: Versioned<marketing::Partial>,
    lifecycle: lifecycle::Partial,
    cohorts: cohorts::Partial,
    rfm: rfm::Partial,
}

/// Bytes of `crm_fold` partial states (a bucket's rows as Arrow columns) emitted in this
/// process so far: what crosses the bucket shuffle, before the buckets are folded.
static FOLD_STATE_BYTES: AtomicU64 = AtomicU64::new(0);

/// The bytes of `crm_fold` partial states (the rows of the buckets as one input
/// partition saw them: the Arrow buffers of the state's list columns) that this process
/// has emitted since it started: the payload of the shuffle by bucket, before any
/// compression. A measurement counter (it only grows; take the difference around a
/// query), covering the partitions that ran in this process.
pub fn fold_state_bytes() -> u64 {
    FOLD_STATE_BYTES.load(Ordering::Relaxed)
}

/// The type a column of a folded table has in `crm_fold`'s state: text of any Arrow
/// string type as `Utf8` (compact, self-contained buffers), every other type as it came
/// (decimals keep their precision and scale: the state is exact).
fn state_type(input: &DataType) -> DataType {
    match input {
        DataType::Utf8View | DataType::LargeUtf8 => DataType::Utf8,
        other => other.clone(),
    }
}

/// The fields of the structs of `crm_fold`'s state, one list per folded table (in
/// [`FOLDED`] order): the table's columns, named as in the table, typed by
/// [`state_type`] from the UDAF's argument fields (the tag, then every column).
fn state_structs(args: &[FieldRef]) -> Result<Vec<Fields>> {
    let at = offsets();
    let mut out = Vec::with_capacity(FOLDED.len());
    for (k, table) in FOLDED.iter().enumerate() {
        let specs = crate::tables::columns(table).unwrap_or_default();
        let mut fields = Vec::with_capacity(specs.len());
        for (j, (column, _, _)) in specs.iter().enumerate() {
            let input = args.get(at[k] + j).ok_or_else(|| {
                DataFusionError::Plan(format!(
                    "crm_fold takes {} arguments, got {}",
                    arity(),
                    args.len()
                ))
            })?;
            fields.push(Field::new(*column, state_type(input.data_type()), true));
        }
        out.push(Fields::from(fields));
    }
    Ok(out)
}

/// The field of the list items of a table's state.
fn item_field(fields: &Fields) -> FieldRef {
    Arc::new(Field::new("item", DataType::Struct(fields.clone()), true))
}

/// The state fields of `crm_fold`: one `List<Struct<table columns>>` per folded table.
fn fold_state_fields(name: &str, args: &[FieldRef]) -> Result<Vec<FieldRef>> {
    Ok(state_structs(args)?
        .iter()
        .zip(FOLDED)
        .map(|(fields, table)| {
            Arc::new(Field::new(
                format!("{name}[{table}]"),
                DataType::List(item_field(fields)),
                true,
            ))
        })
        .collect())
}

/// Rows of one folded table held by [`FoldGroups`]: the table's columns (state types)
/// and each row's group.
#[derive(Debug)]
struct Chunk {
    groups: Vec<u32>,
    columns: Vec<ArrayRef>,
}

impl Chunk {
    fn bytes(&self) -> usize {
        self.groups.capacity() * 4
            + self
                .columns
                .iter()
                .map(|c| c.get_array_memory_size())
                .sum::<usize>()
    }
}

fn index_u32(i: usize) -> Result<u32> {
    u32::try_from(i).map_err(|_| {
        DataFusionError::Execution(format!("crm_fold: index {i} does not fit in 32 bits"))
    })
}

/// The `GroupsAccumulator` of `crm_fold`: the rows of every group (customer bucket) it
/// has seen, kept as Arrow columns per table (no per-group accumulator objects, no
/// per-row allocation until a bucket is folded).
///
/// * `update_batch`: splits the wide rows by table tag, keeps each table's own columns
///   (a `take`, or the columns themselves when a batch is all of one table).
/// * `state`: per table, the rows of each group gathered (`interleave`) into one
///   `List<Struct<columns>>` entry per group: the typed columns as read (decimals as
///   `Decimal128` with their scale, instants as timestamps), exact by construction.
/// * `merge_batch`: keeps the lists' items (a slice, no copy) with their group.
/// * `evaluate`: one group at a time, reads its rows into model structs, builds its
///   Dataset and folds it ([`States::fold`]); the model structs and the Dataset of one
///   bucket at a time are alive, not those of every bucket.
#[derive(Debug)]
pub struct FoldGroups {
    params: Arc<Params>,
    /// Per folded table: the state's struct fields.
    fields: Vec<Fields>,
    /// Per folded table: "table.column" names, for error messages.
    names: Vec<Vec<String>>,
    /// Per folded table: the rows held.
    tables: Vec<Vec<Chunk>>,
    /// The number of groups (the largest group index seen plus one).
    groups: usize,
    /// Bytes held (an estimate kept as chunks come and go).
    bytes: usize,
    /// At most about this many customers are built into one Dataset in `evaluate`: a
    /// larger bucket is folded in parts ([`FoldGroups::fold_group`]).
    fold_customers: usize,
}

/// The default of [`FoldGroups`]' `fold_customers`: a bucket of more customers is
/// folded in parts of about this many, so that the model structs and the Dataset of one
/// part at a time are alive.
pub const FOLD_CUSTOMERS: usize = 65_536;

/// A part of a bucket, from a key: a hash of its own (not the bucket hash, so that the
/// parts of one bucket are even).
fn part_of(key: &str, parts: usize) -> usize {
    // FNV-1a, 64 bits, then a multiplicative mix of the high bits.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mixed = h.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 32;
    usize::try_from(mixed).unwrap_or(0) % parts.max(1)
}

impl FoldGroups {
    /// An empty accumulator for these parameters and the UDAF's argument fields.
    ///
    /// # Errors
    /// When the arguments are not the tag and every column of the folded tables.
    pub fn new(params: Arc<Params>, args: &[FieldRef]) -> Result<FoldGroups> {
        let fields = state_structs(args)?;
        let names = FOLDED
            .iter()
            .map(|table| {
                crate::tables::columns(table)
                    .unwrap_or_default()
                    .iter()
                    .map(|(c, _, _)| format!("{table}.{c}"))
                    .collect()
            })
            .collect();
        Ok(FoldGroups {
            params,
            fields,
            names,
            tables: (0..FOLDED.len()).map(|_| Vec::new()).collect(),
            groups: 0,
            bytes: 0,
            fold_customers: FOLD_CUSTOMERS,
        })
    }

    fn push(&mut self, k: usize, chunk: Chunk) {
        if !chunk.groups.is_empty() {
            self.bytes += chunk.bytes();
            self.tables[k].push(chunk);
        }
    }

    /// A column as the state holds it (text as `Utf8`).
    fn to_state(&self, k: usize, j: usize, column: ArrayRef) -> Result<ArrayRef> {
        let wanted = self.fields[k][j].data_type();
        if column.data_type() == wanted {
            Ok(column)
        } else {
            Ok(cast(&column, wanted)?)
        }
    }

    /// How many groups `emit_to` takes.
    fn emitted(&self, emit_to: EmitTo) -> usize {
        match emit_to {
            EmitTo::All => self.groups,
            EmitTo::First(n) => n.min(self.groups),
        }
    }

    /// Per folded table, for each of the first `n` groups, the (chunk, row) positions of
    /// its rows, in arrival order.
    fn positions(&self, n: usize) -> Vec<Vec<Vec<(usize, usize)>>> {
        self.tables
            .iter()
            .map(|chunks| {
                let mut out: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
                for (c, chunk) in chunks.iter().enumerate() {
                    for (r, &g) in chunk.groups.iter().enumerate() {
                        if let Some(rows) = out.get_mut(g as usize) {
                            rows.push((c, r));
                        }
                    }
                }
                out
            })
            .collect()
    }

    /// Drops the rows of the first `n` groups and shifts the other groups down by `n`.
    fn retain_after(&mut self, n: usize) -> Result<()> {
        let cut = index_u32(n)?;
        let mut bytes = 0;
        for chunks in &mut self.tables {
            let mut kept = Vec::new();
            for chunk in std::mem::take(chunks) {
                if chunk.groups.iter().all(|&g| g < cut) {
                    continue;
                }
                let chunk = if chunk.groups.iter().all(|&g| g >= cut) {
                    Chunk {
                        groups: chunk.groups.iter().map(|g| g - cut).collect(),
                        columns: chunk.columns,
                    }
                } else {
                    let rows: Vec<u32> = (0..chunk.groups.len())
                        .filter(|&r| chunk.groups[r] >= cut)
                        .map(index_u32)
                        .collect::<Result<_>>()?;
                    let rows = UInt32Array::from(rows);
                    Chunk {
                        groups: rows
                            .values()
                            .iter()
                            .map(|&r| chunk.groups[r as usize] - cut)
                            .collect(),
                        columns: chunk
                            .columns
                            .iter()
                            .map(|c| take(c.as_ref(), &rows, None))
                            .collect::<std::result::Result<_, _>>()?,
                    }
                };
                bytes += chunk.bytes();
                kept.push(chunk);
            }
            *chunks = kept;
        }
        self.groups -= n.min(self.groups);
        self.bytes = bytes;
        Ok(())
    }

    /// Folds group `g` (positions from [`positions`](FoldGroups::positions)): its rows
    /// read into model structs, a Dataset built, folded ([`States::fold`]). A group of
    /// more than `fold_customers` customers is folded in parts, each holding whole
    /// customers (a customer's orders, lines, deals and interactions go with it, by a
    /// hash of the customer id; deals without a customer and costs go with the first
    /// part), and the parts' states are merged exactly: only one part's model structs
    /// and Dataset are alive at a time.
    fn fold_group(&self, positions: &[Vec<Vec<(usize, usize)>>], g: usize) -> Result<States> {
        let at = |k: usize| {
            positions
                .get(k)
                .and_then(|p| p.get(g))
                .map_or(&[][..], Vec::as_slice)
        };
        let customers = at(0).len();
        let parts = customers.div_ceil(self.fold_customers.max(1)).max(1);
        // The part of every row, by table (all 0 when there is one part).
        let mut part: Vec<Vec<usize>> = (0..FOLDED.len()).map(|k| vec![0; at(k).len()]).collect();
        if parts > 1 {
            let key = |k: usize, column: usize, (c, r): (usize, usize)| -> Result<Option<&str>> {
                RowReader::new(&self.tables[k][c].columns, &self.names[k]).text(column, r)
            };
            // customers by id; orders, deals and interactions by customer_id.
            for (k, column) in [(0, 0), (1, 1), (3, 1), (5, 1)] {
                for (i, &p) in at(k).iter().enumerate() {
                    if let Some(id) = key(k, column, p)? {
                        part[k][i] = part_of(id, parts);
                    }
                }
            }
            // Order lines with their order.
            let mut orders = std::collections::HashMap::with_capacity(at(1).len());
            for (i, &p) in at(1).iter().enumerate() {
                if let Some(id) = key(1, 0, p)? {
                    orders.insert(id, part[1][i]);
                }
            }
            for (i, &p) in at(2).iter().enumerate() {
                if let Some(id) = key(2, 0, p)? {
                    part[2][i] = orders.get(id).copied().unwrap_or(0);
                }
            }
        }
        let mut merged: Option<States> = None;
        for this in 0..parts {
            let mut rows = SampleRows::default();
            for (k, positions) in (0..FOLDED.len()).map(|k| (k, at(k))) {
                for (i, &(c, r)) in positions.iter().enumerate() {
                    if part[k][i] != this {
                        continue;
                    }
                    let reader = RowReader::new(&self.tables[k][c].columns, &self.names[k]);
                    match k {
                        0 => rows.customers.push(reader.customer(0, r)?),
                        1 => rows.orders.push(reader.order(0, r)?),
                        2 => rows.order_lines.push(reader.order_line(0, r)?),
                        3 => rows.deals.push(reader.deal(0, r)?),
                        4 => rows.costs.push(reader.cost(0, r)?),
                        _ => rows.interactions.push(reader.interaction(0, r)?),
                    }
                }
            }
            let states = States::fold(&self.params, &rows)?;
            drop(rows);
            match &mut merged {
                Some(merged) => merged.merge(states).map_err(external)?,
                None => merged = Some(states),
            }
        }
        match merged {
            Some(states) => Ok(states),
            None => States::fold(&self.params, &SampleRows::default()),
        }
    }
}

impl GroupsAccumulator for FoldGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.groups = self.groups.max(total_num_groups);
        let tags = values
            .first()
            .ok_or_else(|| DataFusionError::Execution("crm_fold: no arguments".into()))?;
        if tags.data_type() != &DataType::Int32 {
            return Err(DataFusionError::Execution(
                "crm_fold: the tag column must be Int32".into(),
            ));
        }
        let tags = tags.as_primitive::<Int32Type>();
        let mut picks: Vec<(Vec<u32>, Vec<u32>)> = vec![(Vec::new(), Vec::new()); FOLDED.len()];
        for (row, &group) in group_indices.iter().enumerate().take(tags.len()) {
            if tags.is_null(row) || opt_filter.is_some_and(|f| !f.is_valid(row) || !f.value(row)) {
                continue;
            }
            let tag = tags.value(row);
            let pick = usize::try_from(tag)
                .ok()
                .and_then(|k| picks.get_mut(k))
                .ok_or_else(|| {
                    DataFusionError::Execution(format!("crm_fold: unknown table tag {tag}"))
                })?;
            pick.0.push(index_u32(row)?);
            pick.1.push(index_u32(group)?);
        }
        let at = offsets();
        for (k, (rows, groups)) in picks.into_iter().enumerate() {
            if rows.is_empty() {
                continue;
            }
            let whole = rows.len() == tags.len();
            let rows = UInt32Array::from(rows);
            let mut columns = Vec::with_capacity(self.fields[k].len());
            for j in 0..self.fields[k].len() {
                let column = values.get(at[k] + j).ok_or_else(|| {
                    DataFusionError::Execution(format!("crm_fold: missing argument #{}", at[k] + j))
                })?;
                let column = if whole {
                    column.clone()
                } else {
                    take(column.as_ref(), &rows, None)?
                };
                columns.push(self.to_state(k, j, column)?);
            }
            self.push(k, Chunk { groups, columns });
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let n = self.emitted(emit_to);
        let positions = self.positions(n);
        let mut out = BinaryBuilder::new();
        for g in 0..n {
            // One bucket's (or part of a bucket's) model structs and Dataset at a time.
            let states = self.fold_group(&positions, g)?;
            out.append_value(states.to_bytes()?);
        }
        drop(positions);
        self.retain_after(n)?;
        Ok(Arc::new(out.finish()))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let n = self.emitted(emit_to);
        let positions = self.positions(n);
        let mut out: Vec<ArrayRef> = Vec::with_capacity(FOLDED.len());
        for (k, per_group) in positions.iter().enumerate() {
            let lengths: Vec<usize> = per_group.iter().map(Vec::len).collect();
            let flat: Vec<(usize, usize)> = per_group.iter().flatten().copied().collect();
            let fields = &self.fields[k];
            let mut columns = Vec::with_capacity(fields.len());
            for (j, field) in fields.iter().enumerate() {
                let arrays: Vec<&dyn Array> = self.tables[k]
                    .iter()
                    .map(|chunk| chunk.columns[j].as_ref())
                    .collect();
                columns.push(if flat.is_empty() {
                    new_empty_array(field.data_type())
                } else {
                    interleave(&arrays, &flat)?
                });
            }
            let items = StructArray::try_new(fields.clone(), columns, None)?;
            let list = ListArray::try_new(
                item_field(fields),
                OffsetBuffer::from_lengths(lengths),
                Arc::new(items),
                None,
            )?;
            let bytes = list.to_data().get_slice_memory_size()?;
            FOLD_STATE_BYTES.fetch_add(u64::try_from(bytes).unwrap_or(u64::MAX), Ordering::Relaxed);
            out.push(Arc::new(list));
            if n == self.groups {
                // Every group emitted: this table's rows are in the list now, free them
                // before the next table's are gathered.
                self.tables[k].clear();
            }
        }
        drop(positions);
        self.retain_after(n)?;
        Ok(out)
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.groups = self.groups.max(total_num_groups);
        for k in 0..FOLDED.len() {
            let column = values.get(k).ok_or_else(|| {
                DataFusionError::Execution(format!("crm_fold: missing state #{k}"))
            })?;
            let Some(list) = column.as_list_opt::<i32>() else {
                return Err(DataFusionError::Execution(format!(
                    "crm_fold: state #{k} is {}, not a list",
                    column.data_type()
                )));
            };
            let offsets = list.value_offsets();
            let mut rows: Vec<u32> = Vec::new();
            let mut groups: Vec<u32> = Vec::new();
            for (r, &group) in group_indices.iter().enumerate().take(list.len()) {
                if list.is_null(r) {
                    continue;
                }
                let group = index_u32(group)?;
                for item in offsets[r]..offsets[r + 1] {
                    rows.push(u32::try_from(item).map_err(|_| {
                        DataFusionError::Execution("crm_fold: negative list offset".into())
                    })?);
                    groups.push(group);
                }
            }
            if rows.is_empty() {
                continue;
            }
            let Some(items) = list.values().as_struct_opt() else {
                return Err(DataFusionError::Execution(format!(
                    "crm_fold: state #{k} is not a list of structs"
                )));
            };
            let first = rows[0] as usize;
            let contiguous = rows
                .iter()
                .enumerate()
                .all(|(i, &row)| row as usize == first + i);
            let columns = if contiguous {
                items
                    .columns()
                    .iter()
                    .map(|c| c.slice(first, rows.len()))
                    .collect()
            } else {
                let rows = UInt32Array::from(rows);
                items
                    .columns()
                    .iter()
                    .map(|c| take(c.as_ref(), &rows, None))
                    .collect::<std::result::Result<_, _>>()?
            };
            self.push(k, Chunk { groups, columns });
        }
        Ok(())
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        // Every row its own group: the state of a fresh accumulator fed with groups
        // 0, 1, 2, ...
        let mut fresh = FoldGroups {
            params: self.params.clone(),
            fields: self.fields.clone(),
            names: self.names.clone(),
            tables: (0..FOLDED.len()).map(|_| Vec::new()).collect(),
            groups: 0,
            bytes: 0,
            fold_customers: self.fold_customers,
        };
        let n = values.first().map_or(0, |v| v.len());
        let groups: Vec<usize> = (0..n).collect();
        fresh.update_batch(values, &groups, opt_filter, n)?;
        fresh.state(EmitTo::All)
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self) + self.bytes
    }
}

/// The accumulator of `crm_fold` for one group (when DataFusion asks for a plain
/// `Accumulator`): [`FoldGroups`] with every row in group 0.
#[derive(Debug)]
pub struct FoldAccumulator {
    inner: FoldGroups,
}

impl FoldAccumulator {
    fn zeros(n: usize) -> Vec<usize> {
        vec![0; n]
    }

    fn one_group(&mut self) {
        self.inner.groups = self.inner.groups.max(1);
    }
}

impl Accumulator for FoldAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let n = values.first().map_or(0, |v| v.len());
        self.inner.update_batch(values, &Self::zeros(n), None, 1)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        self.one_group();
        self.inner
            .state(EmitTo::All)?
            .iter()
            .map(|a| ScalarValue::try_from_array(a, 0))
            .collect()
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let n = states.first().map_or(0, |v| v.len());
        self.inner.merge_batch(states, &Self::zeros(n), 1)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.one_group();
        let values = self.inner.evaluate(EmitTo::All)?;
        ScalarValue::try_from_array(&values, 0)
    }

    fn size(&self) -> usize {
        self.inner.size()
    }
}

/// The accumulator of `crm_report`: the partial states merged so far.
#[derive(Debug)]
pub struct MergeAccumulator {
    params: Arc<Params>,
    merged: Option<States>,
}

impl MergeAccumulator {
    fn absorb_column(&mut self, column: &ArrayRef) -> Result<()> {
        let column = column.as_binary::<i32>();
        for row in 0..column.len() {
            if column.is_null(row) {
                continue;
            }
            let states = States::from_bytes(column.value(row))?;
            match &mut self.merged {
                Some(merged) => merged.merge(states).map_err(external)?,
                None => self.merged = Some(states),
            }
        }
        Ok(())
    }
}

impl Accumulator for MergeAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        match values.first() {
            Some(column) => self.absorb_column(column),
            None => Err(DataFusionError::Execution("crm_report: no argument".into())),
        }
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let bytes = match &self.merged {
            Some(states) => Some(states.to_bytes()?),
            None => None,
        };
        Ok(vec![ScalarValue::Binary(bytes)])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        self.update_batch(states)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let states = match self.merged.take() {
            Some(states) => states,
            // No bucket at all (no customer, deal or cost): the sections of no rows.
            None => States::fold(&self.params, &SampleRows::default())?,
        };
        let sections = states.finish().map_err(external)?;
        Ok(ScalarValue::Utf8(Some(
            serde_json::to_string(&sections).map_err(external)?,
        )))
    }

    fn size(&self) -> usize {
        std::mem::size_of_val(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::udf::BucketUdf;
    use crm_metrics::chrono::{TimeZone, Utc};
    use crm_metrics::sample::SampleOptions;
    use datafusion::arrow::array::{Int32Array, new_null_array};
    use std::collections::HashMap;

    const BUCKETS: u32 = 3;

    /// The wide relation of `rows` (one batch per folded table: the tag, that table's
    /// columns, nulls for the others) with each row's bucket, and the argument fields.
    /// A batch of the wide relation with each row's bucket.
    type Wide = (Vec<ArrayRef>, Vec<usize>);

    fn wide(rows: &SampleRows) -> (Vec<Wide>, Vec<FieldRef>) {
        let tables: HashMap<&str, _> = crate::tables::batches(rows).unwrap().into_iter().collect();
        let mut fields: Vec<FieldRef> = vec![Arc::new(Field::new("tag", DataType::Int32, true))];
        for table in FOLDED {
            for f in tables[table].schema().fields() {
                fields.push(Arc::new(Field::new(
                    format!("{table}__{}", f.name()),
                    f.data_type().clone(),
                    true,
                )));
            }
        }
        let text = |table: &str, column: &str, row: usize| -> Option<String> {
            let c = tables[table]
                .column_by_name(column)
                .unwrap()
                .as_string::<i32>();
            (!c.is_null(row)).then(|| c.value(row).to_owned())
        };
        let orders = &tables["orders"];
        let owner: HashMap<String, String> = (0..orders.num_rows())
            .map(|r| {
                (
                    text("orders", "id", r).unwrap(),
                    text("orders", "customer_id", r).unwrap(),
                )
            })
            .collect();
        let bucket = BucketUdf::new(BUCKETS);
        let mut out = Vec::new();
        for (k, table) in FOLDED.iter().enumerate() {
            let batch = &tables[table];
            let n = batch.num_rows();
            let mut values: Vec<ArrayRef> = vec![Arc::new(Int32Array::from(vec![k as i32; n]))];
            for other in FOLDED {
                for (j, f) in tables[other].schema().fields().iter().enumerate() {
                    values.push(if other == *table {
                        batch.column(j).clone()
                    } else {
                        new_null_array(f.data_type(), n)
                    });
                }
            }
            let groups = (0..n)
                .map(|r| {
                    let key = match *table {
                        "customers" => text(table, "id", r),
                        "orders" | "interactions" => text(table, "customer_id", r),
                        "order_lines" => owner.get(&text(table, "order_id", r).unwrap()).cloned(),
                        "deals" => text(table, "customer_id", r).or_else(|| text(table, "id", r)),
                        _ => text(table, "source", r),
                    };
                    bucket.bucket(&key.unwrap()) as usize
                })
                .collect();
            out.push((values, groups));
        }
        (out, fields)
    }

    fn states(values: &ArrayRef) -> Vec<States> {
        values
            .as_binary::<i32>()
            .iter()
            .map(|b| States::from_bytes(b.unwrap()).unwrap())
            .collect()
    }

    fn finish(values: &ArrayRef) -> Vec<SectionValues> {
        states(values)
            .into_iter()
            .map(|s| s.finish().unwrap())
            .collect()
    }

    #[test]
    fn fold_groups_through_states_partial_emits_and_single_rows_fold_the_same_buckets() {
        let as_of = Utc.with_ymd_and_hms(2026, 11, 15, 3, 0, 0).unwrap();
        let rows = SampleOptions::new(80).seed(3).as_of(as_of).rows();
        let params = Arc::new(Params {
            options: ReportOptions::new(as_of),
            campaigns: rows.campaigns.clone(),
            staff: rows.staff.clone(),
            fanpages: rows.fanpages.clone(),
        });
        let (batches, fields) = wide(&rows);
        let fresh = || FoldGroups::new(params.clone(), &fields).unwrap();

        // Update and evaluate: one value per bucket, which merge into the report of
        // every row.
        let mut direct = fresh();
        for (values, groups) in &batches {
            direct.update_batch(values, groups, None, 3).unwrap();
        }
        let folded = direct.evaluate(EmitTo::All).unwrap();
        assert_eq!(folded.len(), 3);
        let mut merged = states(&folded).into_iter();
        let mut all = merged.next().unwrap();
        merged.for_each(|s| all.merge(s).unwrap());
        // The broadcast tables come with the parameters.
        let folded_rows = SampleRows {
            campaigns: Vec::new(),
            staff: Vec::new(),
            fanpages: Vec::new(),
            ..rows.clone()
        };
        let whole = States::fold(&params, &folded_rows)
            .unwrap()
            .finish()
            .unwrap();
        assert_eq!(all.finish().unwrap(), whole);
        let expected = finish(&folded);
        assert_eq!(direct.size(), std::mem::size_of::<FoldGroups>());

        // Partial states, the first bucket emitted early, merged in another order.
        let mut partial = fresh();
        for (values, groups) in &batches {
            partial.update_batch(values, groups, None, 3).unwrap();
        }
        let first = partial.state(EmitTo::First(1)).unwrap();
        let rest = partial.state(EmitTo::All).unwrap();
        assert_eq!((first[0].len(), rest[0].len()), (1, 2));
        let mut last = fresh();
        last.merge_batch(&rest, &[2, 0], 2).unwrap();
        last.merge_batch(&first, &[1], 3).unwrap();
        let got = finish(&last.evaluate(EmitTo::All).unwrap());
        assert_eq!(
            got,
            vec![
                expected[2].clone(),
                expected[0].clone(),
                expected[1].clone()
            ]
        );

        // Evaluate the first bucket, then the others.
        let mut split = fresh();
        for (values, groups) in &batches {
            split.update_batch(values, groups, None, 3).unwrap();
        }
        let mut got = finish(&split.evaluate(EmitTo::First(1)).unwrap());
        got.extend(finish(&split.evaluate(EmitTo::All).unwrap()));
        assert_eq!(got, expected);

        // Buckets folded in parts of about 7 customers (each bucket has about 27).
        let mut parts = fresh();
        parts.fold_customers = 7;
        for (values, groups) in &batches {
            parts.update_batch(values, groups, None, 3).unwrap();
        }
        assert_eq!(finish(&parts.evaluate(EmitTo::All).unwrap()), expected);

        // Every row its own group (convert_to_state), merged back by bucket.
        let mut converted = fresh();
        for (values, groups) in &batches {
            let state = converted.convert_to_state(values, None).unwrap();
            converted.merge_batch(&state, groups, 3).unwrap();
        }
        assert_eq!(finish(&converted.evaluate(EmitTo::All).unwrap()), expected);

        // The one-group Accumulator: state, merge, evaluate.
        let mut one = FoldAccumulator { inner: fresh() };
        let mut other = FoldAccumulator { inner: fresh() };
        for (k, (values, _)) in batches.iter().enumerate() {
            let acc = if k % 2 == 0 { &mut one } else { &mut other };
            acc.update_batch(values).unwrap();
        }
        let state: Vec<ArrayRef> = other
            .state()
            .unwrap()
            .iter()
            .map(|s| s.to_array().unwrap())
            .collect();
        one.merge_batch(&state).unwrap();
        let ScalarValue::Binary(Some(bytes)) = one.evaluate().unwrap() else {
            panic!("not bytes")
        };
        assert_eq!(States::from_bytes(&bytes).unwrap().finish().unwrap(), whole);
    }
}
