//! The crm-metrics report computed by Apache DataFusion: the crate's own formulas run as
//! DataFusion functions, over tables registered in a `SessionContext` (Parquet files,
//! or any table provider), with any number of partitions.
//!
//! # Design
//! * **Partitioning by customer.** Every row of `customers`, `orders`, `order_lines`,
//!   `interactions` and `deals` is keyed by its customer id (an order line by its
//!   order's customer, found by a join on `order_id`; a deal without a customer by its own
//!   id; a cost by its source: deals and costs do not depend on customers) and the rows
//!   are grouped by a bucket of that key (`crm_bucket`, a fixed hash modulo the
//!   session's `target_partitions`); DataFusion shuffles each bucket to one partition,
//!   so a bucket holds whole customers, each with all its rows.
//! * **Broadcast tables.** `campaigns`, `staff` and `fanpages` are small: they are read
//!   once and travel inside the aggregate function's parameters to every partition.
//! * **The aggregates.** [`udaf::ReportUdaf`] is two aggregate UDFs. `crm_fold`, grouped
//!   by bucket, gathers a bucket's rows (before the shuffle its state is the rows, as
//!   typed Arrow columns; its `GroupsAccumulator` keeps them per table with their
//!   bucket) and then builds a `crm_metrics::Dataset`, a bucket (or a part of a large
//!   bucket) at a time (with the crate's `DatasetBuilder`, from model structs read from
//!   the Arrow columns), folds it into the sections' partial states (`crm_metrics::fold::Fold`:
//!   `customers::Partial`, `customer_picture::Partial`, `social::Partial`,
//!   `marketing::Partial`, `lifecycle::Partial`, `cohorts::Partial`, `rfm::Partial`)
//!   and returns them serialized (the crate's `serde` feature, `Binary`); `crm_report`,
//!   with no `GROUP BY` (the report is one result over all customers), merges them
//!   exactly (`Fold::merge`) as its accumulator state and finishes them into the
//!   sections. No formula is written in SQL: the crate's formulas do all the work.
//! * **Calendar UDFs.** [`udf`] has `crm_local_date` and `crm_local_hour`, the
//!   report's local day and hour of an instant, for SQL over the same tables.
//!
//! * **Ballista** (feature `ballista`, module `ballista`): the same plan on a Ballista
//!   cluster. Plan codecs carry each of the crate's UDFs with its parameters (JSON of
//!   the options, broadcast tables, bucket count or zone) to the scheduler and the
//!   executors; `ballista::StandaloneCluster` runs a scheduler and executors on
//!   loopback in this process, `ballista::context` connects to a remote scheduler.
//!
//! # What the tables must be
//! Tables named as the files of docs/input-format.md, columns named as their CSV headers,
//! typed as [`tables`] says (what `--export-parquet` writes); `customers` and `orders`
//! are required, the others optional. The rows must be rows a Dataset build accepts:
//! validation stays with the build. What is checked: every partition's build must
//! accept every row it gets (a rejected row, e.g. an order whose customer is missing, a
//! duplicate id within a partition, fails the report with the first rejection); column
//! types are checked as they are read (a wrong type fails, naming the column). Not
//! checked: ids that repeat across partitions (two orders with one id for different
//! customers) — the accepted rows of one build never have them.
//!
//! docs: see `datafusion/docs/operators.md` for platform operators.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod accepted;
#[cfg(feature = "ballista")]
pub mod ballista;
pub mod tables;
pub mod udaf;
pub mod udf;

use std::path::Path;

use crm_metrics::calendar::{Compare, Period};
use crm_metrics::chrono::{DateTime, Utc};
use crm_metrics::{Report, ReportOptions};
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::{AggregateUDF, Expr, JoinType, ScalarUDF, cast, ident, lit};
use datafusion::prelude::{DataFrame, ParquetReadOptions, SessionContext, coalesce};
use serde::Serialize;

pub use accepted::accepted_rows;
pub use tables::write_parquet_dir;
use udaf::{FOLDED, Params, ReportUdaf, SectionValues, Stage, external};

/// Every section of the report but `profile` (and `data_quality`, which belongs to the
/// Dataset build), with the report's header fields; serializes as the report's JSON keys.
#[derive(Clone, Debug, PartialEq)]
pub struct Sections {
    /// `as_of`.
    pub as_of: DateTime<Utc>,
    /// The time zone as given.
    pub time_zone: String,
    /// The period.
    pub period: Period,
    /// The comparison range.
    pub previous_period: Period,
    /// The comparison mode.
    pub compare: Compare,
    /// The sections.
    pub values: SectionValues,
}

impl Serialize for Sections {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let v = &self.values;
        let mut m = s.serialize_map(Some(12))?;
        m.serialize_entry("as_of", &self.as_of)?;
        m.serialize_entry("time_zone", &self.time_zone)?;
        m.serialize_entry("period", &self.period)?;
        m.serialize_entry("previous_period", &self.previous_period)?;
        m.serialize_entry("compare", self.compare.name())?;
        m.serialize_entry("customers", &v.customers)?;
        m.serialize_entry("marketing", &v.marketing)?;
        m.serialize_entry("customer_picture", &v.customer_picture)?;
        m.serialize_entry("social", &v.social)?;
        m.serialize_entry("lifecycle", &v.lifecycle)?;
        m.serialize_entry("cohorts", &v.cohorts)?;
        m.serialize_entry("rfm", &v.rfm)?;
        m.end()
    }
}

impl Sections {
    /// The names of the sections (and header fields) that differ from `report`'s; empty
    /// when every one is equal.
    pub fn differences(&self, report: &Report) -> Vec<&'static str> {
        let v = &self.values;
        let mut out = Vec::new();
        let mut check = |same: bool, name: &'static str| {
            if !same {
                out.push(name);
            }
        };
        check(self.as_of == report.as_of, "as_of");
        check(self.time_zone == report.time_zone, "time_zone");
        check(self.period == report.period, "period");
        check(
            self.previous_period == report.previous_period,
            "previous_period",
        );
        check(self.compare == report.compare, "compare");
        check(v.customers == report.customers, "customers");
        check(v.marketing == report.marketing, "marketing");
        check(
            v.customer_picture == report.customer_picture,
            "customer_picture",
        );
        check(v.social == report.social, "social");
        check(v.lifecycle == report.lifecycle, "lifecycle");
        check(v.cohorts == report.cohorts, "cohorts");
        check(v.rfm == report.rfm, "rfm");
        out
    }
}

/// Registers the `<table>.parquet` files of `dir` that exist as tables of `ctx`.
///
/// # Errors
/// When a file cannot be registered.
pub async fn register_parquet_dir(ctx: &SessionContext, dir: &Path) -> Result<()> {
    for (table, _) in tables::TABLES {
        let path = dir.join(format!("{table}.parquet"));
        if path.is_file() {
            let path = path
                .to_str()
                .ok_or_else(|| DataFusionError::Plan(format!("{path:?} is not UTF-8")))?
                .to_owned();
            ctx.register_parquet(table, &path, ParquetReadOptions::default())
                .await?;
        }
    }
    Ok(())
}

/// Registers the calendar UDFs (`crm_local_date`, `crm_local_hour`) for `options`'
/// time zone in `ctx`.
///
/// # Errors
/// When the zone is not one the crate reads.
pub fn register_calendar_udfs(ctx: &SessionContext, options: &ReportOptions) -> Result<()> {
    let zone = options.calendar.name();
    ctx.register_udf(udf::CalendarUdf::new(udf::Part::Date, zone)?.udf());
    ctx.register_udf(udf::CalendarUdf::new(udf::Part::Hour, zone)?.udf());
    Ok(())
}

async fn table(ctx: &SessionContext, name: &str) -> Result<Option<DataFrame>> {
    if ctx.table_exist(name)? {
        Ok(Some(ctx.table(name).await?))
    } else {
        Ok(None)
    }
}

/// The rows of a table (a broadcast table, or every table for [`read_rows`]), read with `read` from its columns in schema order.
async fn broadcast<T>(
    ctx: &SessionContext,
    name: &str,
    read: impl Fn(&tables::RowReader<'_>, usize) -> Result<T>,
) -> Result<Vec<T>> {
    let Some(df) = table(ctx, name).await? else {
        return Ok(Vec::new());
    };
    let specs = tables::columns(name).unwrap_or_default();
    let names: Vec<String> = specs.iter().map(|(c, _, _)| (*c).to_owned()).collect();
    let df = df.select(
        specs
            .iter()
            .map(|(c, _, _)| ident(*c))
            .collect::<Vec<Expr>>(),
    )?;
    let mut out = Vec::new();
    for batch in df.collect().await? {
        let reader = tables::RowReader::new(batch.columns(), &names);
        for row in 0..batch.num_rows() {
            out.push(read(&reader, row)?);
        }
    }
    Ok(out)
}

/// Every row of the nine tables of `ctx` (those registered), read into model structs:
/// for building a Dataset of the same rows in process.
///
/// # Errors
/// When a column is missing or of the wrong type.
pub async fn read_rows(ctx: &SessionContext) -> Result<crm_metrics::sample::SampleRows> {
    Ok(crm_metrics::sample::SampleRows {
        customers: broadcast(ctx, "customers", |r, i| r.customer(0, i)).await?,
        orders: broadcast(ctx, "orders", |r, i| r.order(0, i)).await?,
        order_lines: broadcast(ctx, "order_lines", |r, i| r.order_line(0, i)).await?,
        deals: broadcast(ctx, "deals", |r, i| r.deal(0, i)).await?,
        costs: broadcast(ctx, "costs", |r, i| r.cost(0, i)).await?,
        interactions: broadcast(ctx, "interactions", |r, i| r.interaction(0, i)).await?,
        campaigns: broadcast(ctx, "campaigns", |r, i| r.campaign(0, i)).await?,
        staff: broadcast(ctx, "staff", |r, i| r.staff(0, i)).await?,
        fanpages: broadcast(ctx, "fanpages", |r, i| r.fanpage(0, i)).await?,
    })
}

/// The first stage of the report: the wide relation of the folded tables grouped by
/// customer bucket (`partitions` buckets) and folded by `crm_fold`: one row per bucket,
/// its partial states in the `Binary` column `states` (what crosses the network to the
/// final merge).
///
/// # Errors
/// When `customers` or `orders` is missing, or a column is missing.
pub async fn fold_plan(
    ctx: &SessionContext,
    params: Params,
    partitions: usize,
) -> Result<DataFrame> {
    // The type of every column of every folded table, as registered (or as the schema
    // says for a missing table), so that the union's branches agree.
    let mut frames = Vec::new();
    for name in FOLDED {
        frames.push(table(ctx, name).await?);
    }
    for required in ["customers", "orders"] {
        if !ctx.table_exist(required)? {
            return Err(DataFusionError::Plan(format!(
                "the report needs a table `{required}`"
            )));
        }
    }
    let mut types: Vec<Vec<DataType>> = Vec::new();
    for (name, frame) in FOLDED.iter().zip(&frames) {
        let specs = tables::columns(name).unwrap_or_default();
        let mut t = Vec::new();
        for (column, kind, _) in specs {
            let dt = match frame {
                Some(df) => df
                    .schema()
                    .field_with_unqualified_name(column)?
                    .data_type()
                    .clone(),
                None => kind.data_type(0),
            };
            t.push(dt);
        }
        types.push(t);
    }
    let mut union: Option<DataFrame> = None;
    for (k, (name, frame)) in FOLDED.iter().zip(frames).enumerate() {
        let Some(mut df) = frame else { continue };
        let key = match *name {
            "customers" => ident("id"),
            "orders" | "interactions" => ident("customer_id"),
            "deals" => coalesce(vec![ident("customer_id"), ident("id")]),
            "costs" => ident("source"),
            _ => ident("__customer"),
        };
        if *name == "order_lines" {
            let orders = ctx.table("orders").await?.select(vec![
                ident("id").alias("__order"),
                ident("customer_id").alias("__customer"),
            ])?;
            df = df.join(orders, JoinType::Left, &["order_id"], &["__order"], None)?;
        }
        let mut exprs: Vec<Expr> = vec![
            lit(i32::try_from(k).unwrap_or_default()).alias("tag"),
            cast(key, DataType::Utf8).alias("pk"),
        ];
        for (j, other) in FOLDED.iter().enumerate() {
            let specs = tables::columns(other).unwrap_or_default();
            for ((column, _, _), dt) in specs.iter().zip(&types[j]) {
                let alias = format!("{other}__{column}");
                exprs.push(if j == k {
                    ident(*column).alias(alias)
                } else {
                    lit(ScalarValue::try_from(dt)?).alias(alias)
                });
            }
        }
        let df = df.select(exprs)?;
        union = Some(match union {
            None => df,
            Some(u) => u.union(df)?,
        });
    }
    let union = union.ok_or_else(|| DataFusionError::Plan("no table".into()))?;
    let args: Vec<Expr> = union
        .schema()
        .fields()
        .iter()
        .filter(|f| f.name() != "pk")
        .map(|f| ident(f.name()))
        .collect();
    let buckets = u32::try_from(partitions.max(1)).unwrap_or(u32::MAX);
    let bucket = ScalarUDF::new_from_impl(udf::BucketUdf::new(buckets));
    let fold = AggregateUDF::new_from_impl(ReportUdaf::new(Stage::Fold, params)?);
    union.aggregate(
        vec![bucket.call(vec![ident("pk")]).alias("bucket")],
        vec![fold.call(args).alias("states")],
    )
}

/// The plan of the report: [`fold_plan`], then `crm_report` merging the buckets'
/// partial states into one row, the sections as JSON text in column `sections`.
///
/// # Errors
/// As [`fold_plan`].
pub async fn report_plan(
    ctx: &SessionContext,
    params: Params,
    partitions: usize,
) -> Result<DataFrame> {
    let merge = AggregateUDF::new_from_impl(ReportUdaf::new(Stage::Merge, params.clone())?);
    fold_plan(ctx, params, partitions).await?.aggregate(
        vec![],
        vec![merge.call(vec![ident("states")]).alias("sections")],
    )
}

/// The broadcast tables and the options: what `crm_report` is parameterized with.
///
/// # Errors
/// When a broadcast table has a column of the wrong type or a bad value.
pub async fn params(ctx: &SessionContext, options: &ReportOptions) -> Result<Params> {
    Ok(Params {
        options: options.clone(),
        campaigns: broadcast(ctx, "campaigns", |r, i| r.campaign(0, i)).await?,
        staff: broadcast(ctx, "staff", |r, i| r.staff(0, i)).await?,
        fanpages: broadcast(ctx, "fanpages", |r, i| r.fanpage(0, i)).await?,
    })
}

/// The sections from the one-row result of [`report_plan`].
///
/// # Errors
/// When the result is not one JSON text of the sections.
pub fn sections_from(batches: &[RecordBatch], options: &ReportOptions) -> Result<Sections> {
    let batch = batches
        .iter()
        .find(|b| b.num_rows() > 0)
        .ok_or_else(|| DataFusionError::Execution("the report plan returned no row".into()))?;
    let column = batch.column(0);
    let text = match column.data_type() {
        DataType::Utf8 if !column.is_null(0) => column.as_string::<i32>().value(0),
        _ => {
            return Err(DataFusionError::Execution(
                "the report plan returned no JSON text".into(),
            ));
        }
    };
    let values: SectionValues = serde_json::from_str(text).map_err(external)?;
    let context = options.resolve().map_err(external)?;
    Ok(Sections {
        as_of: context.as_of,
        time_zone: context.calendar.name().to_owned(),
        period: context.period,
        previous_period: context.previous,
        compare: context.compare,
        values,
    })
}

/// Computes every section of the report but `profile` over the tables of `ctx`, with
/// `ctx`'s `target_partitions` partitions: equal, section by section, to
/// `crm_metrics::report` over a Dataset of the same rows (see the crate docs for what
/// the tables must be). Also registers the calendar UDFs.
///
/// # Errors
/// When the options do not resolve, a table or column is missing or mistyped, a
/// partition's build rejects a row, or a sum overflows.
pub async fn report(ctx: &SessionContext, options: &ReportOptions) -> Result<Sections> {
    options.resolve().map_err(external)?;
    register_calendar_udfs(ctx, options)?;
    let partitions = ctx.state().config().target_partitions();
    let params = params(ctx, options).await?;
    let batches = report_plan(ctx, params, partitions)
        .await?
        .collect()
        .await?;
    sections_from(&batches, options)
}
