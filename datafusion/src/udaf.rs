//! The two aggregate UDFs of the report, whose states are the crate's partial states
//! ([`crm_metrics::fold::Fold`]):
//!
//! * `crm_fold(tag, columns…)`, grouped by customer bucket ([`crate::udf::BucketUdf`]):
//!   rows of customers, orders, order lines, deals, costs and interactions arrive as one
//!   wide relation (a tag says which table a row is of) and are read into model
//!   structs. Before the shuffle a bucket's rows may be spread over input partitions, so
//!   the partial state is the rows themselves (serialized); after the shuffle the
//!   bucket's rows are together and `evaluate` builds a `Dataset` of them plus the
//!   broadcast tables (campaigns, staff, fanpages), checks that the build accepted every
//!   row, and folds every customer, deal and cost into the sections' partial states
//!   ([`States`]), returned serialized (`Binary`; JSON in the sections' versioned
//!   envelopes where they have one).
//! * `crm_report(states)`, one group: `update_batch` and `merge_batch` deserialize
//!   states and merge them with [`Fold::merge`], exactly (counts add, decimal sums are
//!   exact, medians were settled per customer); its state is the merged states,
//!   serialized; `evaluate` finishes them into the sections ([`SectionValues`], as JSON).
//!
//! `crm_fold` has many groups (buckets) and uses DataFusion's adapter from `Accumulator`
//! to `GroupsAccumulator`: the per-group work is building and folding a dataset, which
//! dwarfs the adapter's per-group overhead.

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
use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Int32Type};
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, Signature, Volatility};
use serde::{Deserialize, Serialize};

use crate::tables::{RowReader, TABLES};

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
    /// model structs, serialized) until the rows of the bucket are together; its value
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

    fn accumulator(&self, _: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(match self.stage {
            Stage::Fold => Box::new(FoldAccumulator::new(self.params.clone())),
            Stage::Merge => Box::new(MergeAccumulator {
                params: self.params.clone(),
                merged: None,
            }),
        })
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        let what = match self.stage {
            Stage::Fold => "rows",
            Stage::Merge => "partial_states",
        };
        Ok(vec![Arc::new(Field::new(
            format!("{}[{what}]", args.name),
            DataType::Binary,
            true,
        ))])
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

/// Bytes of `crm_fold` partial states (a bucket's rows, serialized) emitted in this
/// process so far: what crosses the bucket shuffle, before the buckets are folded.
static FOLD_STATE_BYTES: AtomicU64 = AtomicU64::new(0);

/// The bytes of `crm_fold` partial states (the rows of a bucket as one input partition
/// saw them, serialized) that this process has emitted since it started: the payload of
/// the shuffle by bucket. A measurement counter (it only grows; take the difference
/// around a query), covering the partitions that ran in this process.
pub fn fold_state_bytes() -> u64 {
    FOLD_STATE_BYTES.load(Ordering::Relaxed)
}

/// The rows of a bucket, as model structs; serialized as the state of `crm_fold`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Rows {
    customers: Vec<crm_metrics::model::Customer>,
    orders: Vec<crm_metrics::model::Order>,
    order_lines: Vec<crm_metrics::model::OrderLine>,
    deals: Vec<crm_metrics::model::Deal>,
    costs: Vec<crm_metrics::model::Cost>,
    interactions: Vec<crm_metrics::model::Interaction>,
}

impl Rows {
    fn append(&mut self, other: Rows) {
        self.customers.extend(other.customers);
        self.orders.extend(other.orders);
        self.order_lines.extend(other.order_lines);
        self.deals.extend(other.deals);
        self.costs.extend(other.costs);
        self.interactions.extend(other.interactions);
    }

    fn into_sample(self) -> SampleRows {
        SampleRows {
            customers: self.customers,
            orders: self.orders,
            order_lines: self.order_lines,
            deals: self.deals,
            costs: self.costs,
            interactions: self.interactions,
            ..SampleRows::default()
        }
    }

    fn len(&self) -> usize {
        self.customers.len()
            + self.orders.len()
            + self.order_lines.len()
            + self.deals.len()
            + self.costs.len()
            + self.interactions.len()
    }
}

/// The accumulator of `crm_fold`: the rows of its bucket seen so far.
#[derive(Debug)]
pub struct FoldAccumulator {
    params: Arc<Params>,
    rows: Rows,
    /// Argument names, for error messages.
    names: Vec<String>,
}

impl FoldAccumulator {
    fn new(params: Arc<Params>) -> FoldAccumulator {
        let mut names = vec!["tag".to_owned()];
        for table in FOLDED {
            if let Some((_, specs)) = TABLES.iter().find(|(n, _)| *n == table) {
                names.extend(specs.iter().map(|(c, _, _)| format!("{table}.{c}")));
            }
        }
        FoldAccumulator {
            params,
            rows: Rows::default(),
            names,
        }
    }
}

impl Accumulator for FoldAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let tags = values
            .first()
            .ok_or_else(|| DataFusionError::Execution("crm_fold: no arguments".into()))?;
        if tags.data_type() != &DataType::Int32 {
            return Err(DataFusionError::Execution(
                "crm_fold: the tag column must be Int32".into(),
            ));
        }
        let tags = tags.as_primitive::<Int32Type>();
        let reader = RowReader::new(values, &self.names);
        let at = offsets();
        for row in 0..tags.len() {
            if tags.is_null(row) {
                continue;
            }
            match tags.value(row) {
                0 => self.rows.customers.push(reader.customer(at[0], row)?),
                1 => self.rows.orders.push(reader.order(at[1], row)?),
                2 => self.rows.order_lines.push(reader.order_line(at[2], row)?),
                3 => self.rows.deals.push(reader.deal(at[3], row)?),
                4 => self.rows.costs.push(reader.cost(at[4], row)?),
                5 => self.rows.interactions.push(reader.interaction(at[5], row)?),
                other => {
                    return Err(DataFusionError::Execution(format!(
                        "crm_fold: unknown table tag {other}"
                    )));
                }
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let bytes = serde_json::to_vec(&std::mem::take(&mut self.rows)).map_err(external)?;
        let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        FOLD_STATE_BYTES.fetch_add(len, Ordering::Relaxed);
        Ok(vec![ScalarValue::Binary(Some(bytes))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let column = states
            .first()
            .ok_or_else(|| DataFusionError::Execution("crm_fold: no state".into()))?
            .as_binary::<i32>();
        for row in 0..column.len() {
            if !column.is_null(row) {
                let rows: Rows = serde_json::from_slice(column.value(row)).map_err(external)?;
                self.rows.append(rows);
            }
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let rows = std::mem::take(&mut self.rows).into_sample();
        let states = States::fold(&self.params, &rows)?;
        Ok(ScalarValue::Binary(Some(states.to_bytes()?)))
    }

    fn size(&self) -> usize {
        // An estimate: the buffered rows dominate.
        std::mem::size_of_val(self) + self.rows.len() * 256
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
